// Module entry: registers Reference, Decoder, Encoder, Hasher and sha256Impl() on the
// exports, with per-environment data so the addon also loads in worker threads.
#include "addon.h"

extern "C" {
#include "dg/sha256.h"
}
#include "dg/fault_guard.h"

namespace dg {

static Napi::Value Sha256Impl(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), dg_sha256_impl());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  // Deleted by node-addon-api when this environment is torn down.
  env.SetInstanceData<AddonData>(data);
  // A mapped reference rewritten shorter mid-call must fail that call, not kill the
  // process: the guard's SIGBUS handler (chained to any previous one). Once per process.
  dg_guard_install();
  InitReference(env, exports, data);
  InitDecoder(env, exports);
  InitEncoder(env, exports);
  InitHasher(env, exports);
  exports.Set("sha256Impl", Napi::Function::New<Sha256Impl>(env, "sha256Impl"));
  return exports;
}

}  // namespace dg

// The registration macro pastes its argument into an identifier, so no qualified name.
static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return dg::Init(env, exports); }

NODE_API_MODULE(deltaglider, InitModule)
