import AstroKernelsC
import Foundation

/// The switch for the AVX-512 kernels of `AstroKernelsC`: direct convolution, max pooling with a recorded
/// arg-max, and dropout masks. They run by default where the CPU has AVX-512; each has a portable route too,
/// with the same results (to float rounding for convolutions, bit for bit for pooling and dropout).
public enum AVX512 {
  /// Whether this CPU (and its OS) supports the AVX-512 kernels.
  public static let available = astro_avx512_supported() != 0

  private static let switchedOn = LockedValue(
    available && ProcessInfo.processInfo.environment["ASTRO_AVX512"] != "0" && KernelISA.requested.allows(.avx512))

  /// Whether the AVX-512 kernels run (default: `available`, unless the environment sets `ASTRO_AVX512=0` or
  /// `ASTRO_ISA=avx2|portable`). Setting it true has no effect where they are unavailable. Tests turn it off to
  /// check the other routes; it is not meant to change while a model is running.
  public static var enabled: Bool {
    get { switchedOn.get() }
    set { switchedOn.set(newValue && available) }
  }
}

/// The switch for the AVX2 + FMA kernels of `AstroKernelsC` (the direct convolution's forward pass and kernel
/// gradient), which run where AVX-512 does not: most desktops and laptops. Same results as the portable route to
/// float rounding.
public enum AVX2 {
  /// Whether this CPU (and its OS) supports the AVX2 kernels.
  public static let available = astro_avx2_supported() != 0

  private static let switchedOn = LockedValue(available && KernelISA.requested.allows(.avx2))

  /// Whether the AVX2 kernels may run (default: `available`, unless the environment sets `ASTRO_ISA=portable`);
  /// where `AVX512.enabled`, the AVX-512 kernels run instead.
  public static var enabled: Bool {
    get { switchedOn.get() }
    set { switchedOn.set(newValue && available) }
  }
}

/// The switch for the NEON kernels of `AstroKernelsC` on arm64 (Apple Silicon, Graviton): the direct convolution's
/// forward pass and kernel gradient. Same results as the portable route to float rounding; tested under
/// qemu-aarch64 by `make check-arm64`.
public enum NEON {
  /// Whether this is an arm64 build (NEON is part of every arm64 CPU).
  public static let available = astro_neon_supported() != 0

  private static let switchedOn = LockedValue(available && KernelISA.requested.allows(.neon))

  /// Whether the NEON kernels run (default: `available`, unless the environment sets `ASTRO_ISA=portable`).
  public static var enabled: Bool {
    get { switchedOn.get() }
    set { switchedOn.set(newValue && available) }
  }
}

/// The instruction sets the vector kernels are written for, best first (x86-64's, then arm64's).
public enum KernelISA: String, Sendable, CaseIterable {
  case avx512, avx2, neon, portable

  /// What `ASTRO_ISA` asks for (the best available when unset or not one of avx512, avx2, neon, portable).
  static let requested = KernelISA(rawValue: ProcessInfo.processInfo.environment["ASTRO_ISA"] ?? "") ?? .avx512

  /// Whether asking for `self` lets `isa` run (asking for one allows it and everything below it).
  func allows(_ isa: KernelISA) -> Bool {
    Self.allCases.firstIndex(of: isa)! >= Self.allCases.firstIndex(of: self)!
  }

  /// Writes the route and the thread count to standard error, once per process, when `ASTRO_VERBOSE=1`
  /// (evaluated by the first convolution).
  static let announcement: Void = {
    guard ProcessInfo.processInfo.environment["ASTRO_VERBOSE"] == "1" else { return }
    FileHandle.standardError.write(Data("astrolearn: kernels \(active.rawValue), \(Parallel.workerCount) threads\n".utf8))
  }()

  /// The value of C kernels' `isa` argument (ASTRO_ISA_*).
  public var code: Int32 {
    switch self {
    case .avx512: Int32(ASTRO_ISA_AVX512)
    case .avx2: Int32(ASTRO_ISA_AVX2)
    case .neon: Int32(ASTRO_ISA_NEON)
    case .portable: Int32(ASTRO_ISA_PORTABLE)
    }
  }

  /// The instruction sets this CPU runs, best first (always ending with `portable`).
  public static var available: [KernelISA] {
    (AVX512.available ? [.avx512] : []) + (AVX2.available ? [.avx2] : []) + (NEON.available ? [.neon] : []) + [.portable]
  }

  /// The route the vector kernels take now. Setting it switches `AVX512`, `AVX2` and `NEON` (to one this CPU has;
  /// tests and benchmarks compare routes this way); it is not meant to change while a model is running.
  public static var active: KernelISA {
    get { AVX512.enabled ? .avx512 : AVX2.enabled ? .avx2 : NEON.enabled ? .neon : .portable }
    set {
      AVX512.enabled = newValue == .avx512
      AVX2.enabled = newValue.allows(.avx2)
      NEON.enabled = newValue.allows(.neon)
    }
  }
}
