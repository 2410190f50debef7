// zlib (Debian zlib1g-dev).
#include <zlib.h>

// ZTFAlerts: inflateInit2/deflateInit2 are macros (they pass ZLIB_VERSION and sizeof(z_stream)), which Swift
// cannot call; these wrappers expose them as functions.
static inline int ztfalerts_inflate_init2(z_streamp stream, int windowBits) {
  return inflateInit2(stream, windowBits);
}
static inline int ztfalerts_deflate_init2(z_streamp stream, int level, int windowBits) {
  return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
