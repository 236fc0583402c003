// Hasher: streaming SHA-256 for files stored as-is, so an upload reads the file once.
//   update(data)            hashes synchronously (small chunks: cheaper than a hop)
//   update(data, callback)  hashes on the thread pool; callback(err)
//   digest()                lowercase hex; the hasher is finished afterwards
//   size, impl ("sha-ni" | "portable")
#include "addon.h"

extern "C" {
#include "dg/sha256.h"
}

namespace dg {

class HasherWrap : public Napi::ObjectWrap<HasherWrap> {
 public:
  static Napi::Function DefineClass(Napi::Env env) {
    return ObjectWrap<HasherWrap>::DefineClass(
        env, "Hasher",
        {
            InstanceMethod<&HasherWrap::Update>("update"),
            InstanceMethod<&HasherWrap::Digest>("digest"),
            InstanceAccessor<&HasherWrap::GetSize>("size"),
            InstanceAccessor<&HasherWrap::GetImpl>("impl"),
        });
  }

  explicit HasherWrap(const Napi::CallbackInfo& info) : ObjectWrap<HasherWrap>(info) {
    if (!info.IsConstructCall()) {
      throw Napi::TypeError::New(info.Env(), "Hasher must be called with new");
    }
    dg_sha256_init(&ctx_);
    info.This().As<Napi::Object>().TypeTag(&kHasherTag);
  }

 private:
  class UpdateWorker : public Napi::AsyncWorker {
   public:
    UpdateWorker(HasherWrap* hasher, Napi::Object self, Napi::Function callback,
                 Napi::Object data, ByteSpan span)
        : Napi::AsyncWorker(self, callback, "deltaglider:sha256"),
          hasher_(hasher),
          data_(Napi::Persistent(data)),
          span_(span) {}
    void Execute() override { dg_sha256_update(&hasher_->ctx_, span_.data, span_.length); }
    void OnOK() override {
      hasher_->busy_ = false;
      data_.Reset();
      Callback().Call(Receiver().Value(), {Env().Null()});
    }

   private:
    HasherWrap* hasher_;
    Napi::ObjectReference data_;
    ByteSpan span_;
  };

  void RequireIdle(const Napi::CallbackInfo& info, const char* method) {
    RequireTag(info.This(), kHasherTag, "this", "Hasher");
    if (busy_) {
      throw CodedError(info.Env(), "ERR_DG_INVALID_ARGUMENT",
                       std::string("Hasher.") + method + ": an update is in flight");
    }
  }

  Napi::Value Update(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    RequireIdle(info, "update");
    ByteSpan span = RequireBytes(info[0], "data");
    if (!digest_.empty()) {
      throw CodedError(env, "ERR_DG_INVALID_ARGUMENT", "Hasher.update: digest() was already called");
    }
    if (info[1].IsUndefined()) {
      dg_sha256_update(&ctx_, span.data, span.length);
      return env.Undefined();
    }
    Napi::Function callback = RequireFunction(info[1], "callback");
    busy_ = true;
    (new UpdateWorker(this, info.This().As<Napi::Object>(), callback,
                      info[0].As<Napi::Object>(), span))
        ->Queue();
    return env.Undefined();
  }

  Napi::Value Digest(const Napi::CallbackInfo& info) {
    RequireIdle(info, "digest");
    if (digest_.empty()) {
      size_ = ctx_.total_len;
      uint8_t digest[32];
      dg_sha256_final(&ctx_, digest);
      char hex[65];
      dg_hex(digest, sizeof digest, hex);
      digest_ = hex;
    }
    return Napi::String::New(info.Env(), digest_);
  }

  Napi::Value GetSize(const Napi::CallbackInfo& info) {
    RequireTag(info.This(), kHasherTag, "this", "Hasher");
    uint64_t size = digest_.empty() ? ctx_.total_len : size_;
    return Napi::Number::New(info.Env(), static_cast<double>(size));
  }

  Napi::Value GetImpl(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), dg_sha256_impl());
  }

  dg_sha256_ctx ctx_;
  bool busy_ = false;  // an async update owns ctx_
  uint64_t size_ = 0;
  std::string digest_;
};

void InitHasher(Napi::Env env, Napi::Object exports) {
  exports.Set("Hasher", HasherWrap::DefineClass(env));
}

}  // namespace dg
