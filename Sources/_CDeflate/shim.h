// libdeflate (Debian libdeflate-dev): whole-buffer inflate of alert cutouts, two to three times zlib's speed.
#include <libdeflate.h>
