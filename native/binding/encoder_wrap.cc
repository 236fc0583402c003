// Encoder: CodecWrap over dg_encoder (target bytes in, delta bytes out). The reference
// must already be indexed (Reference.buildIndex), so construction never blocks.
#include <cstring>

#include "codec_wrap.h"

extern "C" {
#include "dg/encoder.h"
#include "dg/limits.h"
}

namespace dg {

struct EncoderTraits {
  using Context = dg_encoder;
  struct Config {
    uint32_t windowSize = 0;  // 0: the encoder's default (dg_encoder_options_init)
    dg_secondary secondary = DG_SECONDARY_AUTO;
    int lzmaPreset = -1;  // -1: the encoder's default
    bool checksum = true;
    bool hasAppHeader = false;
    std::string appHeader;  // lives as long as the wrap, which outlives the encoder
  };
  static constexpr const char* kClassName = "Encoder";
  static constexpr const char* kResourceName = "deltaglider:encode";
  static constexpr const napi_type_tag& kTag = kEncoderTag;

  static Config ParseConfig(Napi::Env env, const Napi::Object& opts) {
    Config config;
    uint64_t window = OptionalIndex(opts, "windowSize", 0);
    if (window != 0 && (window < DG_MIN_WINDOW_SIZE || window > DG_MAX_WINDOW_SIZE)) {
      throw Napi::RangeError::New(env, "options.windowSize must be between " +
                                           std::to_string(DG_MIN_WINDOW_SIZE) + " and " +
                                           std::to_string(DG_MAX_WINDOW_SIZE));
    }
    config.windowSize = static_cast<uint32_t>(window);
    Napi::Value secondary = opts.Get("secondary");
    if (!secondary.IsUndefined()) {
      if (!secondary.IsString()) {
        throw Napi::TypeError::New(env, "options.secondary must be a string");
      }
      std::string s = secondary.As<Napi::String>().Utf8Value();
      if (s == "none") config.secondary = DG_SECONDARY_NONE;
      else if (s == "lzma") config.secondary = DG_SECONDARY_LZMA;
      else if (s == "auto") config.secondary = DG_SECONDARY_AUTO;
      else throw Napi::RangeError::New(env, "options.secondary must be 'none', 'lzma' or 'auto'");
    }
    Napi::Value preset = opts.Get("lzmaPreset");
    if (!preset.IsUndefined()) {
      uint64_t p = RequireIndex(preset, "options.lzmaPreset");
      if (p > 9) throw Napi::RangeError::New(env, "options.lzmaPreset must be 0..9");
      config.lzmaPreset = static_cast<int>(p);
    }
    config.checksum = OptionalBool(opts, "checksum", true);
    Napi::Value header = opts.Get("appHeader");
    if (!header.IsUndefined() && !header.IsNull()) {
      if (header.IsString()) {
        config.appHeader = header.As<Napi::String>().Utf8Value();
      } else {
        ByteSpan span = RequireBytes(header, "options.appHeader");
        config.appHeader.assign(reinterpret_cast<const char*>(span.data), span.length);
      }
      if (config.appHeader.size() > DG_MAX_APP_HEADER) {
        throw Napi::RangeError::New(env, "options.appHeader is longer than " +
                                             std::to_string(DG_MAX_APP_HEADER) + " bytes");
      }
      config.hasAppHeader = true;
    }
    return config;
  }

  static Context* Create(Napi::Env env, ReferenceWrap* ref, const Config& config,
                         dg_status* status) {
    if (ref != nullptr && ref->index() == nullptr) {
      throw CodedError(env, "ERR_DG_INVALID_ARGUMENT",
                       "reference is not indexed yet: call reference.buildIndex() first");
    }
    dg_encoder_options opts;
    dg_encoder_options_init(&opts);
    if (config.windowSize) opts.window_size = config.windowSize;
    opts.secondary = config.secondary;
    if (config.lzmaPreset >= 0) opts.lzma_preset = config.lzmaPreset;
    opts.checksum = config.checksum ? 1 : 0;
    if (config.hasAppHeader) {
      opts.app_header = config.appHeader.data();
      opts.app_header_len = config.appHeader.size();
    }
    return dg_encoder_new(ref != nullptr ? ref->index() : nullptr, &opts, status);
  }

  static std::string CreateFailure(dg_status status) {
    return status == DG_ERR_NOMEM ? "cannot allocate an encoder" : "invalid encoder options";
  }

  // The encoder buffers a window of target and the delta sections made from it.
  static int64_t MemoryEstimate(const Config& config) {
    return 2 * int64_t{config.windowSize ? config.windowSize : DG_MAX_WINDOW_SIZE};
  }

  static dg_status Feed(Context* enc, const uint8_t* in, size_t inLength, int finish,
                        uint8_t* out, size_t outLength, size_t* consumed, size_t* produced) {
    return dg_encoder_feed(enc, in, inLength, finish, out, outLength, consumed, produced);
  }
  static std::string ErrorDetail(const Context* enc) { return dg_encoder_error(enc); }
  static void Sha256(const Context* enc, uint8_t digest[32]) { dg_encoder_sha256(enc, digest); }
  static void Free(Context* enc) { dg_encoder_free(enc); }
};

void InitEncoder(Napi::Env env, Napi::Object exports) {
  exports.Set("Encoder", CodecWrap<EncoderTraits>::DefineClass(env));
}

}  // namespace dg
