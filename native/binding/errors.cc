// Errors crossing into JS: codec statuses, system calls, tags.
#include <cerrno>
#include <cstring>

#include "addon.h"

namespace dg {

// Random 128-bit values, one per class; only their distinctness matters.
const napi_type_tag kReferenceTag = {0x5d1e7a3b9c04f2e1ULL, 0x8b7f3c2a6d9e1f40ULL};
const napi_type_tag kDecoderTag = {0x2f6a9b1c7e3d5a08ULL, 0xc41e8d2b7a6f9035ULL};
const napi_type_tag kEncoderTag = {0x9e3c1a7b5d2f8064ULL, 0x17b4e9c2a8d63f5eULL};
const napi_type_tag kHasherTag = {0x4b8d2e6f1a9c3705ULL, 0xe2a71c5b9d4f8603ULL};

void RequireTag(const Napi::Value& value, const napi_type_tag& tag, const char* what,
                const char* className) {
  if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&tag)) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a " + className);
  }
}

// Used when the codec gave no detail: the code alone reads poorly in a log.
static const char* DefaultMessage(dg_status status) {
  switch (status) {
    case DG_ERR_CORRUPT_DELTA: return "the delta is corrupt or truncated";
    case DG_ERR_CHECKSUM: return "a delta window's Adler-32 checksum does not match";
    case DG_ERR_SOURCE_MISMATCH: return "the delta needs reference bytes the given reference does not have";
    case DG_ERR_UNSUPPORTED: return "the delta uses a VCDIFF feature that is not supported";
    case DG_ERR_LIMIT: return "a size in the delta exceeds a codec limit";
    case DG_ERR_NOMEM: return "out of memory";
    case DG_ERR_INVALID_ARGUMENT: return "invalid argument to the codec";
    default: return "internal codec error";
  }
}

Napi::Error StatusError(Napi::Env env, dg_status status, const std::string& detail) {
  return CodedError(env, dg_status_code(status), detail.empty() ? DefaultMessage(status) : detail);
}

Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

// The errno names Node prints; the ones a file open/map can plausibly produce.
static const char* ErrnoName(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EISDIR: return "EISDIR";
    case ENOTDIR: return "ENOTDIR";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ELOOP: return "ELOOP";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case ENODEV: return "ENODEV";
    case EOVERFLOW: return "EOVERFLOW";
    case EFBIG: return "EFBIG";
    default: return "EUNKNOWN";
  }
}

Napi::Error SystemError(Napi::Env env, int err, const char* syscall, const std::string& path) {
  const char* name = ErrnoName(err);
  std::string message = std::string(name) + ": " + std::strerror(err) + ", " + syscall + " '" +
                        path + "'";
  Napi::Error error = CodedError(env, name, message);
  error.Set("errno", Napi::Number::New(env, -err));
  error.Set("syscall", Napi::String::New(env, syscall));
  error.Set("path", Napi::String::New(env, path));
  return error;
}

}  // namespace dg
