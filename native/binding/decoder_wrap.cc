// Decoder: CodecWrap over dg_decoder (delta bytes in, target bytes out).
#include "codec_wrap.h"

extern "C" {
#include "dg/decoder.h"
#include "dg/limits.h"
}

namespace dg {

struct DecoderTraits {
  using Context = dg_decoder;
  struct Config {
    bool verifyChecksum = true;
  };
  static constexpr const char* kClassName = "Decoder";
  static constexpr const char* kResourceName = "deltaglider:decode";
  static constexpr const napi_type_tag& kTag = kDecoderTag;

  static Config ParseConfig(Napi::Env, const Napi::Object& opts) {
    Config config;
    config.verifyChecksum = OptionalBool(opts, "verifyChecksum", true);
    return config;
  }

  static Context* Create(Napi::Env, ReferenceWrap* ref, const Config& config,
                         dg_status* status) {
    dg_decoder_options opts;
    dg_decoder_options_init(&opts);
    opts.verify_checksum = config.verifyChecksum ? 1 : 0;
    Context* dec = ref != nullptr ? dg_decoder_new(ref->data(), ref->size(), &opts)
                                  : dg_decoder_new(nullptr, 0, &opts);
    if (dec == nullptr) *status = DG_ERR_NOMEM;
    return dec;
  }

  static std::string CreateFailure(dg_status) { return "cannot allocate a decoder"; }

  // A decoder holds about one target window plus its sections.
  static int64_t MemoryEstimate(const Config&) { return 2 * int64_t{DG_DEFAULT_WINDOW_SIZE}; }

  static dg_status Feed(Context* dec, const uint8_t* in, size_t inLength, int finish,
                        uint8_t* out, size_t outLength, size_t* consumed, size_t* produced) {
    return dg_decoder_feed(dec, in, inLength, finish, out, outLength, consumed, produced);
  }
  static std::string ErrorDetail(const Context* dec) { return dg_decoder_error(dec); }
  static void Sha256(const Context* dec, uint8_t digest[32]) { dg_decoder_sha256(dec, digest); }
  static void Free(Context* dec) { dg_decoder_free(dec); }
};

void InitDecoder(Napi::Env env, Napi::Object exports) {
  exports.Set("Decoder", CodecWrap<DecoderTraits>::DefineClass(env));
}

}  // namespace dg
