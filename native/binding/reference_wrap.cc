// Reference: a file mapping or a held Buffer, and its lazily built encoder index.
#include "reference_wrap.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace dg {

const char* const kShrunkMessage =
    "the reference file is shorter than when it was opened (rewritten while in use)";

// Builds the dg_index on the thread pool. The index is linear in the reference size and
// can take seconds for a large one, so it must never run on the JS thread. When the index
// already exists the worker does nothing; it only makes the callback asynchronous in both
// cases, so callers never see it fire synchronously.
class IndexWorker : public Napi::AsyncWorker {
 public:
  IndexWorker(ReferenceWrap* ref, Napi::Object self, bool build)
      : Napi::AsyncWorker(self.Env(), "deltaglider:index"),
        ref_(ref),
        self_(Napi::Persistent(self)),
        build_(build),
        data_(ref->data_),
        size_(ref->size_) {}

  void Execute() override {
    if (!build_) return;
    if (ref_->Shrunk()) {
      status_ = DG_ERR_IO;
      return;
    }
    index_ = dg_index_alloc(data_, size_, &status_);
    if (index_ == nullptr) return;
    // The file may shrink while the fill reads it.
    if (!ref_->RunGuarded([this] { dg_index_fill(index_); })) {
      dg_index_free(index_);
      index_ = nullptr;
      status_ = DG_ERR_IO;
    }
  }

  void OnOK() override {
    if (build_) {
      ref_->IndexBuilt(Env(), index_, status_);
    } else {
      waiter_.Call({Env().Null()});
    }
  }

  Napi::FunctionReference waiter_;  // only for the already-built case

 private:
  ReferenceWrap* ref_;
  Napi::ObjectReference self_;  // keeps the Reference alive while we run
  bool build_;
  const uint8_t* data_;
  uint64_t size_;
  dg_index* index_ = nullptr;
  dg_status status_ = DG_OK;
};

Napi::Function ReferenceWrap::DefineClass(Napi::Env env) {
  return ObjectWrap<ReferenceWrap>::DefineClass(
      env, "Reference",
      {
          InstanceAccessor<&ReferenceWrap::GetSize>("size"),
          InstanceAccessor<&ReferenceWrap::GetIndexed>("indexed"),
          InstanceAccessor<&ReferenceWrap::GetClosed>("closed"),
          InstanceMethod<&ReferenceWrap::BuildIndex>("buildIndex"),
          InstanceMethod<&ReferenceWrap::Close>("close"),
      });
}

ReferenceWrap* ReferenceWrap::FromArgument(const Napi::Value& value, const char* name) {
  RequireTag(value, kReferenceTag, name, "Reference");
  ReferenceWrap* ref = Unwrap(value.As<Napi::Object>());
  if (ref->closeRequested_) {
    throw CodedError(value.Env(), "ERR_DG_INVALID_ARGUMENT",
                     std::string(name) + " is closed");
  }
  return ref;
}

ReferenceWrap::ReferenceWrap(const Napi::CallbackInfo& info) : ObjectWrap<ReferenceWrap>(info) {
  Napi::Env env = info.Env();
  if (!info.IsConstructCall()) throw Napi::TypeError::New(env, "Reference must be called with new");
  Napi::Value source = info[0];
  if (source.IsString()) {
    OpenFile(env, source.As<Napi::String>().Utf8Value());
  } else if (source.IsTypedArray() &&
             source.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    ByteSpan span = RequireBytes(source, "source");
    data_ = span.data;
    size_ = span.length;
    // No copy: the caller's Buffer must not change while the Reference is open.
    buffer_ = Napi::Persistent(source.As<Napi::Object>());
  } else {
    throw Napi::TypeError::New(env, "source must be a file path (string) or a Buffer");
  }
  info.This().As<Napi::Object>().TypeTag(&kReferenceTag);
}

ReferenceWrap::~ReferenceWrap() {
  // Finalized by GC without close(): uses_ and indexing_ are necessarily zero here, since
  // both hold a JS reference to this object.
  if (!released_) Release();
}

void ReferenceWrap::OpenFile(Napi::Env env, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw SystemError(env, errno, "open", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw SystemError(env, err, "fstat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw SystemError(env, S_ISDIR(st.st_mode) ? EISDIR : EINVAL, "open", path);
  }
  size_ = static_cast<uint64_t>(st.st_size);
  if (size_ > 0) {  // mmap refuses length 0; an empty reference simply has no bytes
    void* map = ::mmap(nullptr, static_cast<size_t>(size_), PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      throw SystemError(env, err, "mmap", path);
    }
    // Indexing reads it all front to back; decoding jumps around in it. Ask the kernel to
    // start reading now either way; failure is harmless.
    ::madvise(map, static_cast<size_t>(size_), MADV_WILLNEED);
    map_ = map;
    mapLength_ = static_cast<size_t>(size_);
    data_ = static_cast<const uint8_t*>(map);
  }
  fd_ = fd;
}

bool ReferenceWrap::Shrunk() const {
  if (fd_ < 0) return false;
  struct stat st;
  return ::fstat(fd_, &st) != 0 || static_cast<uint64_t>(st.st_size) < size_;
}

Napi::Value ReferenceWrap::GetSize(const Napi::CallbackInfo& info) {
  RequireTag(info.This(), kReferenceTag, "this", "Reference");
  return Napi::Number::New(info.Env(), static_cast<double>(size_));
}

Napi::Value ReferenceWrap::GetIndexed(const Napi::CallbackInfo& info) {
  RequireTag(info.This(), kReferenceTag, "this", "Reference");
  return Napi::Boolean::New(info.Env(), index_ != nullptr);
}

Napi::Value ReferenceWrap::GetClosed(const Napi::CallbackInfo& info) {
  RequireTag(info.This(), kReferenceTag, "this", "Reference");
  return Napi::Boolean::New(info.Env(), closeRequested_);
}

Napi::Value ReferenceWrap::BuildIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireTag(info.This(), kReferenceTag, "this", "Reference");
  Napi::Function callback = RequireFunction(info[0], "callback");
  if (closeRequested_) throw CodedError(env, "ERR_DG_INVALID_ARGUMENT", "reference is closed");
  Napi::Object self = info.This().As<Napi::Object>();
  if (index_ != nullptr) {
    auto* worker = new IndexWorker(this, self, false);
    worker->waiter_ = Napi::Persistent(callback);
    worker->Queue();
    return env.Undefined();
  }
  indexWaiters_.push_back(Napi::Persistent(callback));
  if (!indexing_) {  // one build serves every caller that asks meanwhile
    indexing_ = true;
    (new IndexWorker(this, self, true))->Queue();
  }
  return env.Undefined();
}

void ReferenceWrap::IndexBuilt(Napi::Env env, dg_index* index, dg_status status) {
  indexing_ = false;
  Napi::Value error = env.Null();
  if (index != nullptr) {
    index_ = index;
    indexMemory_ = static_cast<int64_t>(dg_index_memory(index));
    Napi::MemoryManagement::AdjustExternalMemory(env, indexMemory_);
  } else {
    error = StatusError(env, status == DG_OK ? DG_ERR_INTERNAL : status,
                        status == DG_ERR_IO ? kShrunkMessage : "cannot index the reference")
                .Value();
  }
  std::vector<Napi::FunctionReference> waiters = std::move(indexWaiters_);
  indexWaiters_.clear();
  ReleaseIfUnused();  // close() may have come while we were building
  for (auto& waiter : waiters) waiter.Call({error});
}

Napi::Value ReferenceWrap::Close(const Napi::CallbackInfo& info) {
  RequireTag(info.This(), kReferenceTag, "this", "Reference");
  closeRequested_ = true;
  ReleaseIfUnused();
  return info.Env().Undefined();
}

void ReferenceWrap::DropUse() {
  --uses_;
  ReleaseIfUnused();
}

void ReferenceWrap::ReleaseIfUnused() {
  if (closeRequested_ && uses_ == 0 && !indexing_ && !released_) Release();
}

void ReferenceWrap::Release() {
  released_ = true;
  if (index_ != nullptr) {
    dg_index_free(index_);
    index_ = nullptr;
    Napi::MemoryManagement::AdjustExternalMemory(Env(), -indexMemory_);
    indexMemory_ = 0;
  }
  if (map_ != nullptr) {
    ::munmap(map_, mapLength_);
    map_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  buffer_.Reset();
  data_ = nullptr;
}

void InitReference(Napi::Env env, Napi::Object exports, AddonData* data) {
  Napi::Function ctor = ReferenceWrap::DefineClass(env);
  data->reference = Napi::Persistent(ctor);
  exports.Set("Reference", ctor);
}

}  // namespace dg
