// Shared pieces of the node-addon-api layer: per-environment data, type tags, error
// construction and argument checks. Every wrapped class is registered from addon.cc.
#ifndef DG_BINDING_ADDON_H
#define DG_BINDING_ADDON_H

#include <napi.h>

#include <cstdint>
#include <string>

extern "C" {
#include "dg/status.h"
}

namespace dg {

// One per Node environment (main thread, each worker thread), so the module is safe to load
// in several environments at once: nothing about JS lives in a C++ global.
// Wrapped objects left open at teardown are finalized by Node-API itself (their
// destructors free the native state), so no extra cleanup hook is needed.
struct AddonData {
  Napi::FunctionReference reference;  // the Reference constructor, alive as long as the env
};

// Type tags stamped on each wrapped object. ObjectWrap::Unwrap trusts whatever object it is
// given, so every method (and every argument expected to be one of ours) is checked
// against the tag first: a foreign object raises TypeError instead of corrupting memory.
extern const napi_type_tag kReferenceTag;
extern const napi_type_tag kDecoderTag;
extern const napi_type_tag kEncoderTag;
extern const napi_type_tag kHasherTag;

// Throws TypeError("<what>: called on an object that is not a <className>") unless `value`
// carries `tag`.
void RequireTag(const Napi::Value& value, const napi_type_tag& tag, const char* what,
                const char* className);

// A JS Error for a codec status: `code` is the stable string (ERR_DG_CORRUPT_DELTA, ...),
// the message the codec's detail (or a generic one when the codec gave none).
Napi::Error StatusError(Napi::Env env, dg_status status, const std::string& detail);

// A JS Error for a failed system call on a file, shaped like Node's fs errors:
// `code` ("ENOENT"...), `errno`, `syscall`, `path`.
Napi::Error SystemError(Napi::Env env, int err, const char* syscall, const std::string& path);

// An Error with a code but no status (e.g. using a closed object).
Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message);

// ---- argument checks (throw TypeError/RangeError naming the parameter) ----------------

// A view into a Uint8Array (Buffers included).
struct ByteSpan {
  uint8_t* data = nullptr;
  size_t length = 0;
};

ByteSpan RequireBytes(const Napi::Value& value, const char* name);
// A non-negative safe integer.
uint64_t RequireIndex(const Napi::Value& value, const char* name);
bool RequireBool(const Napi::Value& value, const char* name);
Napi::Function RequireFunction(const Napi::Value& value, const char* name);

// Optional option-object members: `fallback` when undefined.
bool OptionalBool(const Napi::Object& opts, const char* key, bool fallback);
uint64_t OptionalIndex(const Napi::Object& opts, const char* key, uint64_t fallback);

// The options argument: an object, or undefined/null for an empty one.
Napi::Object OptionsObject(const Napi::CallbackInfo& info, size_t index, const char* name);

// Module registration for each wrapped class (one file each).
void InitReference(Napi::Env env, Napi::Object exports, AddonData* data);
void InitDecoder(Napi::Env env, Napi::Object exports);
void InitEncoder(Napi::Env env, Napi::Object exports);
void InitHasher(Napi::Env env, Napi::Object exports);

}  // namespace dg

#endif
