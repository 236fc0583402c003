// CodecWrap<Traits>: the one JS-visible wrapper around a streaming codec context (the
// decoder or the encoder), in the shape of Node's zlib binding. A Traits struct supplies
// the pure-C calls; this template owns the V8 side:
//
//   write(input, inOffset, inLength, output, outOffset, outLength, finish, callback)
//     runs one feed call on the thread pool and calls back
//     (err, consumed, produced, done). Input and output are pinned for the call; only one
//     write may be in flight (a second throws); the codec context is touched by one
//     thread at a time.
//   close()      frees the context; during a write it is deferred until the write returns.
//   sha256()     hex SHA-256 of the target, once the codec reported done.
//   totalIn / totalOut / done / closed   accessors.
#ifndef DG_BINDING_CODEC_WRAP_H
#define DG_BINDING_CODEC_WRAP_H

#include <napi.h>

#include <string>

#include "addon.h"
#include "reference_wrap.h"

extern "C" {
#include "dg/sha256.h"
}

namespace dg {

template <typename Traits>
class CodecWrap : public Napi::ObjectWrap<CodecWrap<Traits>> {
 public:
  using Context = typename Traits::Context;
  using Config = typename Traits::Config;

  static Napi::Function DefineClass(Napi::Env env) {
    using W = CodecWrap<Traits>;
    return Napi::ObjectWrap<W>::DefineClass(
        env, Traits::kClassName,
        {
            W::template InstanceMethod<&W::Write>("write"),
            W::template InstanceMethod<&W::Close>("close"),
            W::template InstanceMethod<&W::Sha256>("sha256"),
            W::template InstanceAccessor<&W::GetTotalIn>("totalIn"),
            W::template InstanceAccessor<&W::GetTotalOut>("totalOut"),
            W::template InstanceAccessor<&W::GetDone>("done"),
            W::template InstanceAccessor<&W::GetClosed>("closed"),
        });
  }

  // new Decoder(reference | null, options?) / new Encoder(reference | null, options?)
  explicit CodecWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CodecWrap>(info) {
    Napi::Env env = info.Env();
    if (!info.IsConstructCall()) {
      throw Napi::TypeError::New(env, std::string(Traits::kClassName) + " must be called with new");
    }
    ReferenceWrap* ref = nullptr;
    if (!info[0].IsUndefined() && !info[0].IsNull()) {
      ref = ReferenceWrap::FromArgument(info[0], "reference");
    }
    // Everything the thread pool needs is copied out of JS here (sharp's "baton" rule).
    config_ = Traits::ParseConfig(env, OptionsObject(info, 1, "options"));
    dg_status status = DG_OK;
    context_ = Traits::Create(env, ref, config_, &status);
    if (context_ == nullptr) throw StatusError(env, status, Traits::CreateFailure(status));
    if (ref != nullptr) {
      ref->AddUse();
      reference_ = ref;
      referenceObject_ = Napi::Persistent(info[0].As<Napi::Object>());
    }
    externalMemory_ = Traits::MemoryEstimate(config_);
    Napi::MemoryManagement::AdjustExternalMemory(env, externalMemory_);
    info.This().As<Napi::Object>().TypeTag(&Traits::kTag);
  }

  ~CodecWrap() override { Release(); }

 private:
  class WriteWorker;

  void RequireUsable(const Napi::CallbackInfo& info, const char* method) {
    RequireTag(info.This(), Traits::kTag, "this", Traits::kClassName);
    if (context_ == nullptr || pendingClose_) {
      throw CodedError(info.Env(), "ERR_DG_INVALID_ARGUMENT",
                       std::string(Traits::kClassName) + "." + method + ": it is closed");
    }
  }

  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireUsable(info, "write");
    if (writing_) {
      throw CodedError(env, "ERR_DG_INVALID_ARGUMENT",
                       std::string(Traits::kClassName) +
                           ".write: a write is already in flight (one at a time)");
    }
    ByteSpan input = RequireBytes(info[0], "input");
    uint64_t inOffset = RequireIndex(info[1], "inOffset");
    uint64_t inLength = RequireIndex(info[2], "inLength");
    ByteSpan output = RequireBytes(info[3], "output");
    uint64_t outOffset = RequireIndex(info[4], "outOffset");
    uint64_t outLength = RequireIndex(info[5], "outLength");
    bool finish = RequireBool(info[6], "finish");
    Napi::Function callback = RequireFunction(info[7], "callback");
    if (inOffset > input.length || inLength > input.length - inOffset) {
      throw Napi::RangeError::New(env, "inOffset + inLength exceeds the input length");
    }
    if (outOffset > output.length || outLength > output.length - outOffset) {
      throw Napi::RangeError::New(env, "outOffset + outLength exceeds the output length");
    }
    if (outLength == 0) throw Napi::RangeError::New(env, "outLength must be at least 1");
    const uint8_t* in = input.data + inOffset;
    uint8_t* out = output.data + outOffset;
    if (inLength > 0 && in < out + outLength && out < in + inLength) {
      throw Napi::RangeError::New(env, "input and output ranges overlap");
    }
    writing_ = true;
    auto* worker = new WriteWorker(this, info.This().As<Napi::Object>(), callback,
                                   info[0].As<Napi::Object>(), info[3].As<Napi::Object>(), in,
                                   static_cast<size_t>(inLength), out,
                                   static_cast<size_t>(outLength), finish);
    worker->Queue();
    return env.Undefined();
  }

  // Runs on the JS thread when the pool thread has returned.
  void WriteDone(Napi::Env env, const Napi::Function& callback, const Napi::Object& self,
                 dg_status status, const std::string& detail, size_t consumed,
                 size_t produced) {
    writing_ = false;
    totalIn_ += consumed;
    totalOut_ += produced;
    if (status == DG_DONE) done_ = true;
    if (pendingClose_) Release();
    if (!dg_status_ok(status)) {
      callback.Call(self, {StatusError(env, status, detail).Value()});
      return;
    }
    callback.Call(self, {env.Null(), Napi::Number::New(env, static_cast<double>(consumed)),
                         Napi::Number::New(env, static_cast<double>(produced)),
                         Napi::Boolean::New(env, status == DG_DONE)});
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    RequireTag(info.This(), Traits::kTag, "this", Traits::kClassName);
    if (writing_) {
      pendingClose_ = true;  // the pool thread is using the context; free it on return
    } else {
      Release();
    }
    return info.Env().Undefined();
  }

  Napi::Value Sha256(const Napi::CallbackInfo& info) {
    RequireTag(info.This(), Traits::kTag, "this", Traits::kClassName);
    if (!done_) {
      throw CodedError(info.Env(), "ERR_DG_INVALID_ARGUMENT",
                       std::string(Traits::kClassName) +
                           ".sha256: the target is not complete (no write reported done)");
    }
    if (sha256_.empty() && context_ != nullptr && !writing_) CaptureDigest();
    if (sha256_.empty()) {
      throw CodedError(info.Env(), "ERR_DG_INVALID_ARGUMENT",
                       std::string(Traits::kClassName) + ".sha256: it is closed");
    }
    return Napi::String::New(info.Env(), sha256_);
  }

  Napi::Value GetTotalIn(const Napi::CallbackInfo& info) {
    RequireTag(info.This(), Traits::kTag, "this", Traits::kClassName);
    return Napi::Number::New(info.Env(), static_cast<double>(totalIn_));
  }
  Napi::Value GetTotalOut(const Napi::CallbackInfo& info) {
    RequireTag(info.This(), Traits::kTag, "this", Traits::kClassName);
    return Napi::Number::New(info.Env(), static_cast<double>(totalOut_));
  }
  Napi::Value GetDone(const Napi::CallbackInfo& info) {
    RequireTag(info.This(), Traits::kTag, "this", Traits::kClassName);
    return Napi::Boolean::New(info.Env(), done_);
  }
  Napi::Value GetClosed(const Napi::CallbackInfo& info) {
    RequireTag(info.This(), Traits::kTag, "this", Traits::kClassName);
    return Napi::Boolean::New(info.Env(), context_ == nullptr || pendingClose_);
  }

  // Frees the context and gives the Reference back. Never while a write is in flight.
  void Release() {
    if (context_ == nullptr) return;
    if (done_ && sha256_.empty()) CaptureDigest();  // keep it readable after close
    Traits::Free(context_);
    context_ = nullptr;
    pendingClose_ = false;
    Napi::MemoryManagement::AdjustExternalMemory(this->Env(), -externalMemory_);
    externalMemory_ = 0;
    if (reference_ != nullptr) {
      reference_->DropUse();
      reference_ = nullptr;
      referenceObject_.Reset();
    }
  }

  void CaptureDigest() {
    uint8_t digest[32];
    Traits::Sha256(context_, digest);
    char hex[65];
    dg_hex(digest, sizeof digest, hex);
    sha256_ = hex;
  }

  Context* context_ = nullptr;
  Config config_;
  ReferenceWrap* reference_ = nullptr;
  Napi::ObjectReference referenceObject_;  // keeps the Reference from being collected
  int64_t externalMemory_ = 0;
  bool writing_ = false;
  bool pendingClose_ = false;
  bool faulted_ = false;  // a SIGBUS guard fired in a call (written on the pool thread;
                          // calls never overlap, so the next one sees it)
  bool done_ = false;
  uint64_t totalIn_ = 0;
  uint64_t totalOut_ = 0;
  std::string sha256_;
};

// One feed call on the thread pool. The AsyncWorker keeps `self` alive; the input and
// output Buffers are pinned by persistent references until the call has returned.
template <typename Traits>
class CodecWrap<Traits>::WriteWorker : public Napi::AsyncWorker {
 public:
  WriteWorker(CodecWrap* wrap, Napi::Object self, Napi::Function callback, Napi::Object input,
              Napi::Object output, const uint8_t* in, size_t inLength, uint8_t* out,
              size_t outLength, bool finish)
      : Napi::AsyncWorker(self, callback, Traits::kResourceName),
        wrap_(wrap),
        context_(wrap->context_),
        reference_(wrap->reference_),
        input_(Napi::Persistent(input)),
        output_(Napi::Persistent(output)),
        in_(in),
        inLength_(inLength),
        out_(out),
        outLength_(outLength),
        finish_(finish) {}

  void Execute() override {
    // After a fault the context was left mid-call: it is never used again, only freed.
    if (wrap_->faulted_ || (reference_ != nullptr && reference_->Shrunk())) {
      status_ = DG_ERR_IO;
      detail_ = kShrunkMessage;
      return;
    }
    auto feed = [this] { Feed(); };
    if (reference_ == nullptr) {
      feed();
    } else if (!reference_->RunGuarded(feed)) {  // the file shrank during the call
      wrap_->faulted_ = true;
      status_ = DG_ERR_IO;
      detail_ = kShrunkMessage;
      return;
    }
    if (!dg_status_ok(status_)) detail_ = Traits::ErrorDetail(context_);
  }

  void Feed() {
    status_ = Traits::Feed(context_, in_, inLength_, finish_ ? 1 : 0, out_, outLength_,
                           &consumed_, &produced_);
  }

  void OnOK() override {
    input_.Reset();
    output_.Reset();
    wrap_->WriteDone(Env(), Callback().Value(), Receiver().Value(), status_, detail_,
                     consumed_, produced_);
  }

 private:
  CodecWrap* wrap_;
  Context* context_;
  const ReferenceWrap* reference_;  // checked before each call (see ReferenceWrap::Shrunk)
  Napi::ObjectReference input_;
  Napi::ObjectReference output_;
  const uint8_t* in_;
  size_t inLength_;
  uint8_t* out_;
  size_t outLength_;
  bool finish_;
  dg_status status_ = DG_OK;
  std::string detail_;
  size_t consumed_ = 0;
  size_t produced_ = 0;
};

}  // namespace dg

#endif
