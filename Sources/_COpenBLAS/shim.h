// OpenBLAS (Debian libopenblas-dev): CBLAS interface plus the thread-count controls.
#include <cblas.h>
