// Reference: the bytes a delta is made against — a read-only memory map of a file, or a
// Buffer held by reference — plus the encoder's match index over them, built lazily off
// the JS thread and cached so that many encoders against one reference index it once.
//
// Lifetime: encoders and decoders take a "use" on the Reference while they live (they also
// hold a JS reference to it, so GC cannot collect it under them). close() stops new uses
// and releases the bytes and index once the last use and any index build have finished.
#ifndef DG_BINDING_REFERENCE_WRAP_H
#define DG_BINDING_REFERENCE_WRAP_H

#include <napi.h>

#include <cstdint>
#include <vector>

#include "addon.h"

extern "C" {
#include "dg/encoder.h"
}
#include "dg/fault_guard.h"

namespace dg {

// Message of the ERR_DG_IO error a shrunk reference gives.
extern const char* const kShrunkMessage;

class ReferenceWrap : public Napi::ObjectWrap<ReferenceWrap> {
 public:
  static Napi::Function DefineClass(Napi::Env env);
  // Unwraps a Reference argument after checking its type tag (TypeError otherwise) and
  // that it is still open.
  static ReferenceWrap* FromArgument(const Napi::Value& value, const char* name);

  explicit ReferenceWrap(const Napi::CallbackInfo& info);
  ~ReferenceWrap() override;

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  bool mapped() const { return map_ != nullptr; }
  const dg_index* index() const { return index_; }

  // True when the mapped file is now shorter than when it was mapped (rewritten in place
  // by someone else): reading the missing pages would raise SIGBUS, so codec calls check
  // this first and fail with ERR_DG_IO instead. Any thread; Buffers never shrink.
  bool Shrunk() const;

  // Runs work(), which reads the reference's bytes, under a SIGBUS guard when they are a
  // file mapping (see dg/fault_guard.h). False when the file shrank under it: work() was
  // cut short and what it was changing must only be freed.
  template <typename Work>
  bool RunGuarded(Work&& work) const {
    if (!mapped()) {
      work();
      return true;
    }
    dg_guard guard;
    bool completed = DG_GUARD_BEGIN(&guard, data_, static_cast<size_t>(size_));
    if (completed) work();
    dg_guard_end(&guard);
    return completed;
  }

  void AddUse() { ++uses_; }
  void DropUse();

 private:
  friend class IndexWorker;

  Napi::Value GetSize(const Napi::CallbackInfo& info);
  Napi::Value GetIndexed(const Napi::CallbackInfo& info);
  Napi::Value GetClosed(const Napi::CallbackInfo& info);
  Napi::Value BuildIndex(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  void OpenFile(Napi::Env env, const std::string& path);
  void IndexBuilt(Napi::Env env, dg_index* index, dg_status status);
  void ReleaseIfUnused();
  void Release();

  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  void* map_ = nullptr;  // non-null when data_ is a file mapping
  size_t mapLength_ = 0;
  int fd_ = -1;  // the mapped file, kept open to notice it shrinking
  Napi::ObjectReference buffer_;  // set when data_ points into a caller's Buffer

  dg_index* index_ = nullptr;
  int64_t indexMemory_ = 0;  // reported to V8 as external memory
  bool indexing_ = false;
  std::vector<Napi::FunctionReference> indexWaiters_;

  int uses_ = 0;
  bool closeRequested_ = false;
  bool released_ = false;
};

}  // namespace dg

#endif
