/* SHA-256 block function selection. The SHA-NI implementation is added here; until then
 * every CPU uses the portable one. */
#include "sha256_impl.h"

dg_sha256_blocks_fn dg_sha256_blocks_best(void) { return dg_sha256_blocks_portable; }
