// The direct convolution's ISA-free entry points (which shapes it takes, its scratch, its packed kernels), built on
// every architecture: the AVX-512, AVX2 and NEON kernels all use them.
#include "AstroKernelsC.h"
#include "ConvolutionRows.h"

extern "C" {

int astro_conv_direct_supported(const astro_conv_shape *s) {
  return s->batch > 0 && s->in_h > 0 && s->in_w > 0 && s->in_c > 0 && s->k_h > 0 && s->k_h <= kMaxKernelHeight &&
         s->k_w > 0 && s->stride_h > 0 && s->stride_w > 0 && s->pad_top >= 0 && s->pad_left >= 0 && s->out_h > 0 &&
         s->out_w > 0 && s->out_c > 0;
}

size_t astro_conv_scratch_floats(const astro_conv_shape *s) {
  // Forward: k_h prepared rows, then a packed kernel slice for large kernels. Kernel gradient: the prepared
  // rows and masked dy rows of a group.
  long group = groupRows(*s);
  long forward = rowScratchFloats(*s) + (kernelBytes(*s) > kSmallKernelBytes ? s->k_h * s->k_w * s->in_c * kSliceChannels : 0);
  long gradient = group * s->k_h * paddedWidth(*s) * s->in_c + group * s->out_w * s->out_c;
  return size_t(forward > gradient ? forward : gradient);
}

size_t astro_conv_packed_kernel_floats(const astro_conv_shape *s) {
  return kernelBytes(*s) > kSmallKernelBytes ? size_t(s->k_h * s->k_w * s->in_c * s->out_c) : 0;
}

void astro_conv_pack_kernel(const astro_conv_shape *s, const float *w, float *packed) {
  long taps = s->k_h * s->k_w * s->in_c;
  for (long co = 0; co < s->out_c; co += kSliceChannels)
    packKernelSlice(*s, w, co, co + kSliceChannels < s->out_c ? kSliceChannels : s->out_c - co, packed + taps * co);
}

}  // extern "C"
