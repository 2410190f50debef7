// libpng 1.6 (Debian libpng-dev).
#include <png.h>

// Constants of libpng's simplified API as functions: some are macro expressions built from other
// macros (PNG_FORMAT_RGBA = PNG_FORMAT_RGB|PNG_FORMAT_FLAG_ALPHA), which Swift does not reliably import.
static inline png_uint_32 astro_png_image_version(void) { return PNG_IMAGE_VERSION; }
static inline png_uint_32 astro_png_format_rgb(void) { return PNG_FORMAT_RGB; }
static inline png_uint_32 astro_png_format_rgba(void) { return PNG_FORMAT_RGBA; }
static inline png_uint_32 astro_png_image_failed(png_uint_32 warning_or_error) {
  return (warning_or_error & PNG_IMAGE_ERROR) != 0;
}
