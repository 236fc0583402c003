// Argument checks shared by the wrapped classes. They throw TypeError (wrong type) or
// RangeError (right type, bad value) with the parameter's name, before any native work.
#include <cmath>

#include "addon.h"

namespace dg {

static constexpr double kMaxSafeInteger = 9007199254740991.0;

ByteSpan RequireBytes(const Napi::Value& value, const char* name) {
  if (!value.IsTypedArray() ||
      value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(value.Env(),
                               std::string(name) + " must be a Buffer or Uint8Array");
  }
  Napi::Uint8Array array = value.As<Napi::Uint8Array>();
  ByteSpan span;
  span.data = array.Data();
  span.length = array.ElementLength();
  return span;
}

uint64_t RequireIndex(const Napi::Value& value, const char* name) {
  if (!value.IsNumber()) {
    throw Napi::TypeError::New(value.Env(), std::string(name) + " must be a number");
  }
  double d = value.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > kMaxSafeInteger || std::floor(d) != d) {
    throw Napi::RangeError::New(value.Env(),
                                std::string(name) + " must be a non-negative integer");
  }
  return static_cast<uint64_t>(d);
}

bool RequireBool(const Napi::Value& value, const char* name) {
  if (!value.IsBoolean()) {
    throw Napi::TypeError::New(value.Env(), std::string(name) + " must be a boolean");
  }
  return value.As<Napi::Boolean>().Value();
}

Napi::Function RequireFunction(const Napi::Value& value, const char* name) {
  if (!value.IsFunction()) {
    throw Napi::TypeError::New(value.Env(), std::string(name) + " must be a function");
  }
  return value.As<Napi::Function>();
}

bool OptionalBool(const Napi::Object& opts, const char* key, bool fallback) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  return RequireBool(v, (std::string("options.") + key).c_str());
}

uint64_t OptionalIndex(const Napi::Object& opts, const char* key, uint64_t fallback) {
  Napi::Value v = opts.Get(key);
  if (v.IsUndefined()) return fallback;
  return RequireIndex(v, (std::string("options.") + key).c_str());
}

Napi::Object OptionsObject(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = info[index];
  if (v.IsUndefined() || v.IsNull()) return Napi::Object::New(info.Env());
  if (!v.IsObject()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be an object");
  }
  return v.As<Napi::Object>();
}

}  // namespace dg
