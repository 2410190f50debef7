import AstroKernelsC
import Foundation

/// The switch for the AVX-512 kernels of `AstroKernelsC`: direct convolution, max pooling with a recorded
/// arg-max, and dropout masks. They run by default where the CPU has AVX-512; each has a portable route too,
/// with the same results (to float rounding for convolutions, bit for bit for pooling and dropout).
public enum AVX512 {
  /// Whether this CPU (and its OS) supports the AVX-512 kernels.
  public static let available = astro_avx512_supported() != 0

  private static let switchedOn = LockedValue(available && ProcessInfo.processInfo.environment["ASTRO_AVX512"] != "0")

  /// Whether the AVX-512 kernels run (default: `available`, unless the environment sets `ASTRO_AVX512=0`).
  /// Setting it true has no effect where they are unavailable. Tests turn it off to check the portable routes;
  /// it is not meant to change while a model is running.
  public static var enabled: Bool {
    get { switchedOn.get() }
    set { switchedOn.set(newValue && available) }
  }
}
