import AstroKernels
import AstroKernelsC
import Foundation

/// The instruction set of the integer convolution and fully-connected products. Every route gives the same
/// bytes (the int32 sums do not depend on their order); tests run each one the CPU has against LiteRT.
public enum Int8Route: String, Sendable, CaseIterable {
  /// `vpdpwssd` with AVX-512 VNNI (Ice Lake and later, Zen 4 and later).
  case avx512VNNI = "avx512-vnni"
  /// `vpdpwssd` in its VEX form (AVX-VNNI: Alder Lake and later, Zen 4 and later).
  case avxVNNI = "avx-vnni"
  /// `pmaddwd` and `paddd` (AVX2).
  case avx2
  /// Plain loops, on any CPU.
  case portable

  var code: Int32 {
    switch self {
    case .avx512VNNI: Int32(ASTRO_INT8_AVX512_VNNI)
    case .avxVNNI: Int32(ASTRO_INT8_AVX_VNNI)
    case .avx2: Int32(ASTRO_INT8_AVX2)
    case .portable: Int32(ASTRO_INT8_PORTABLE)
    }
  }

  /// Whether this CPU (and its OS) runs the route.
  public var isAvailable: Bool { astro_int8_route_supported(code) != 0 }

  /// The routes this CPU runs, best first (always ending with `portable`).
  public static var available: [Int8Route] { allCases.filter(\.isAvailable) }

  /// The best route the kernels' instruction-set setting allows (`KernelISA.active`, which `ASTRO_ISA` sets):
  /// with `avx2`, the AVX-VNNI or AVX2 route; with `portable`, the portable one. `ASTRO_INT8_ROUTE` in the
  /// environment (a raw value) picks one instead, where this CPU runs it: benchmarks compare routes this way.
  public static var best: Int8Route {
    if let name = ProcessInfo.processInfo.environment["ASTRO_INT8_ROUTE"], let route = Int8Route(rawValue: name),
      route.isAvailable
    {
      return route
    }
    let allowed: [Int8Route] = switch KernelISA.active {
    case .avx512: allCases
    case .avx2: [.avxVNNI, .avx2, .portable]
    case .neon, .portable: [.portable]
    }
    return allowed.first(where: \.isAvailable) ?? .portable
  }
}
