import AstroKernels
import XCTest

/// SplitMix64: a tiny seeded generator for kernel tests (AstroKernels has no random numbers of its own).
struct KernelRNG {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  mutating func unit() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }
}

func randomArray(_ count: Int, seed: UInt64, low: Float = -1, high: Float = 1) -> [Float] {
  var rng = KernelRNG(seed: seed)
  return (0..<count).map { _ in low + (high - low) * Float(rng.unit()) }
}

func assertAllClose(
  _ a: [Float], _ b: [Double], atol: Double, rtol: Double, _ what: String, file: StaticString = #filePath,
  line: UInt = #line
) {
  guard a.count == b.count else { return XCTFail("\(what): counts \(a.count) vs \(b.count)", file: file, line: line) }
  var bad: [String] = []
  var badCount = 0
  for i in a.indices where !(abs(Double(a[i]) - b[i]) <= atol + rtol * abs(b[i])) {
    badCount += 1
    if bad.count < 5 { bad.append("[\(i)] \(a[i]) vs \(b[i])") }
  }
  if badCount > 0 {
    XCTFail("\(what): \(badCount) of \(a.count) differ: \(bad.joined(separator: ", "))", file: file, line: line)
  }
}

/// Runs `body` with `Parallel.workerCount` set to each of `counts`, restoring it afterwards.
func withWorkerCounts(_ counts: [Int], _ body: (Int) throws -> Void) rethrows {
  let saved = Parallel.workerCount
  defer { Parallel.workerCount = saved }
  for n in counts {
    Parallel.workerCount = n
    try body(n)
  }
}

/// Runs `body` once per convolution route this machine has: the direct AVX-512 kernels and the direct AVX2
/// kernels (where the CPU has them), and im2col + sgemm.
func withConvolutionRoutes(_ body: (String) throws -> Void) rethrows {
  let saved = KernelISA.active
  defer { KernelISA.active = saved }
  for isa in KernelISA.available {
    KernelISA.active = isa
    try body(isa == .portable ? "im2col" : "direct-\(isa)")
  }
}

/// Runs `body(true)` with the AVX-512 kernels (where the CPU has them) and `body(false)` with the portable ones.
func withAVX512Routes(_ body: (Bool) throws -> Void) rethrows {
  let saved = AVX512.enabled
  defer { AVX512.enabled = saved }
  for avx512 in AVX512.available ? [true, false] : [false] {
    AVX512.enabled = avx512
    try body(avx512)
  }
}

/// Runs `body` on every kernel route this CPU has (`KernelISA.available`), then restores the active one.
func withKernelRoutes(_ body: (KernelISA) throws -> Void) rethrows {
  let saved = KernelISA.active
  defer { KernelISA.active = saved }
  for isa in KernelISA.available {
    KernelISA.active = isa
    try body(isa)
  }
}

/// A convolution / pooling case for the kernel tests.
struct ConvCase: CustomStringConvertible {
  var batch: Int, height: Int, width: Int, channels: Int
  var kernel: (Int, Int), strides: (Int, Int), padding: WindowPadding, filters: Int

  var geometry: WindowGeometry {
    WindowGeometry(
      batch: batch, inHeight: height, inWidth: width, channels: channels, kernelHeight: kernel.0,
      kernelWidth: kernel.1, strideH: strides.0, strideW: strides.1, padding: padding)!
  }

  var description: String {
    "N\(batch) \(height)x\(width)x\(channels) k\(kernel.0)x\(kernel.1) s\(strides.0),\(strides.1) \(padding) f\(filters)"
  }

  /// The geometries used across the kernel tests: valid, same (odd and even sizes), explicit, strided,
  /// pointwise, 1x1 strided, 7x7 stride 2, rectangular.
  static let all: [ConvCase] = [
    ConvCase(batch: 1, height: 5, width: 5, channels: 1, kernel: (3, 3), strides: (1, 1), padding: .valid, filters: 1),
    ConvCase(batch: 2, height: 6, width: 7, channels: 3, kernel: (3, 3), strides: (1, 1), padding: .valid, filters: 4),
    ConvCase(batch: 3, height: 7, width: 7, channels: 2, kernel: (3, 3), strides: (2, 2), padding: .same, filters: 3),
    ConvCase(batch: 4, height: 8, width: 8, channels: 2, kernel: (3, 3), strides: (2, 2), padding: .same, filters: 2),
    ConvCase(batch: 5, height: 6, width: 5, channels: 3, kernel: (3, 3), strides: (1, 1), padding: .same, filters: 5),
    ConvCase(batch: 3, height: 5, width: 6, channels: 2, kernel: (3, 2), strides: (2, 1),
      padding: .explicit(top: 1, bottom: 0, left: 2, right: 1), filters: 3),
    ConvCase(batch: 5, height: 9, width: 9, channels: 4, kernel: (1, 1), strides: (1, 1), padding: .valid, filters: 6),
    ConvCase(batch: 3, height: 7, width: 7, channels: 3, kernel: (1, 1), strides: (2, 2), padding: .valid, filters: 2),
    ConvCase(batch: 2, height: 12, width: 11, channels: 2, kernel: (7, 7), strides: (2, 2), padding: .same, filters: 3),
    ConvCase(batch: 4, height: 9, width: 10, channels: 1, kernel: (2, 3), strides: (3, 2), padding: .valid, filters: 2),
    ConvCase(batch: 5, height: 16, width: 16, channels: 3, kernel: (3, 3), strides: (1, 1), padding: .same, filters: 4),
    // Stride 1 with asymmetric explicit padding (transposed-convolution route of backwardInput) and with padding
    // as large as the kernel (col2im route).
    ConvCase(batch: 3, height: 5, width: 6, channels: 2, kernel: (3, 3), strides: (1, 1),
      padding: .explicit(top: 2, bottom: 0, left: 1, right: 2), filters: 3),
    ConvCase(batch: 2, height: 4, width: 5, channels: 2, kernel: (3, 2), strides: (1, 1),
      padding: .explicit(top: 3, bottom: 1, left: 0, right: 2), filters: 2),
    // Patch 1200: chunks of 109 rows, so each worker runs several im2col + sgemm chunks over its 300 / k rows.
    ConvCase(batch: 3, height: 10, width: 10, channels: 48, kernel: (5, 5), strides: (1, 1), padding: .same, filters: 3),
    // Rows wider than one register block of pixels, and channel counts that cross 16-lane vectors (the direct
    // kernels' blocks of 1...4 vectors with a masked tail).
    ConvCase(batch: 2, height: 5, width: 31, channels: 5, kernel: (3, 3), strides: (1, 1), padding: .same, filters: 17),
    ConvCase(batch: 1, height: 6, width: 27, channels: 16, kernel: (3, 3), strides: (1, 1), padding: .valid, filters: 33),
    ConvCase(batch: 2, height: 7, width: 13, channels: 8, kernel: (3, 3), strides: (2, 2), padding: .same, filters: 70),
    ConvCase(batch: 2, height: 3, width: 26, channels: 20, kernel: (1, 1), strides: (1, 1), padding: .valid, filters: 64),
    // The input-stationary 3-wide kernel: rows split into blocks of equal size (28 = 14 + 14, 15 = 7 + 8, and
    // VGG6's conv2 row of 59 = 19 + 20 + 20), up to 24 pixels × 16 channels or 12 pixels × 32 channels.
    ConvCase(batch: 2, height: 4, width: 61, channels: 16, kernel: (3, 3), strides: (1, 1), padding: .valid, filters: 16),
    ConvCase(batch: 2, height: 4, width: 30, channels: 16, kernel: (3, 3), strides: (1, 1), padding: .valid, filters: 16),
    ConvCase(batch: 2, height: 4, width: 15, channels: 32, kernel: (3, 3), strides: (1, 1), padding: .same, filters: 32),
    // Kernels over 1 MB (ResNet50's late stages): the forward pass runs in packed 64-channel slices (the last
    // one narrower: 208 = 3·64 + 16, 216 = 3·64 + 24), the kernel gradient in groups of rows, not fused with
    // the input gradient.
    ConvCase(batch: 2, height: 3, width: 4, channels: 144, kernel: (3, 3), strides: (1, 1), padding: .same, filters: 208),
    ConvCase(batch: 2, height: 5, width: 5, channels: 144, kernel: (3, 3), strides: (2, 2), padding: .same, filters: 216),
    ConvCase(batch: 2, height: 3, width: 3, channels: 520, kernel: (1, 1), strides: (1, 1), padding: .valid, filters: 520),
  ]
}

/// Naive im2col row `r`, entries ordered (kh, kw, c), zeros outside the input.
func naiveGather(_ g: WindowGeometry, _ x: [Float]) -> [Float] {
  var cols: [Float] = []
  cols.reserveCapacity(g.outputRows * g.patchSize)
  for n in 0..<g.batch {
    for oh in 0..<g.outHeight {
      for ow in 0..<g.outWidth {
        for i in 0..<g.kernelHeight {
          for j in 0..<g.kernelWidth {
            for c in 0..<g.channels {
              let ih = oh * g.strideH - g.padTop + i, iw = ow * g.strideW - g.padLeft + j
              let inside = ih >= 0 && ih < g.inHeight && iw >= 0 && iw < g.inWidth
              cols.append(inside ? x[((n * g.inHeight + ih) * g.inWidth + iw) * g.channels + c] : 0)
            }
          }
        }
      }
    }
  }
  return cols
}

/// Calls `body(outputRow, inputIndex, kernelRow)` for every in-bounds tap of every window (the seven loops of a
/// direct convolution, without the filter loop).
func forEachTap(_ g: WindowGeometry, _ body: (Int, Int, Int) -> Void) {
  for n in 0..<g.batch {
    for oh in 0..<g.outHeight {
      for ow in 0..<g.outWidth {
        let row = (n * g.outHeight + oh) * g.outWidth + ow
        for i in 0..<g.kernelHeight {
          for j in 0..<g.kernelWidth {
            let ih = oh * g.strideH - g.padTop + i, iw = ow * g.strideW - g.padLeft + j
            guard ih >= 0 && ih < g.inHeight && iw >= 0 && iw < g.inWidth else { continue }
            for c in 0..<g.channels {
              body(row, ((n * g.inHeight + ih) * g.inWidth + iw) * g.channels + c, (i * g.kernelWidth + j) * g.channels + c)
            }
          }
        }
      }
    }
  }
}

func naiveConvForward(_ g: WindowGeometry, _ x: [Float], _ k: [Float], filters f: Int, bias: [Float]?, relu: Bool) -> [Double] {
  var y = [Double](repeating: 0, count: g.outputRows * f)
  for r in 0..<g.outputRows { for o in 0..<f { y[r * f + o] = Double(bias?[o] ?? 0) } }
  forEachTap(g) { row, xi, kr in
    for o in 0..<f { y[row * f + o] += Double(x[xi]) * Double(k[kr * f + o]) }
  }
  return relu ? y.map { max($0, 0) } : y
}

func naiveBackwardKernel(_ g: WindowGeometry, _ x: [Float], _ dy: [Float], filters f: Int) -> (kernel: [Double], bias: [Double]) {
  var dk = [Double](repeating: 0, count: g.patchSize * f)
  var db = [Double](repeating: 0, count: f)
  for r in 0..<g.outputRows { for o in 0..<f { db[o] += Double(dy[r * f + o]) } }
  forEachTap(g) { row, xi, kr in
    for o in 0..<f { dk[kr * f + o] += Double(x[xi]) * Double(dy[row * f + o]) }
  }
  return (dk, db)
}

func naiveBackwardInput(_ g: WindowGeometry, _ dy: [Float], _ k: [Float], filters f: Int) -> [Double] {
  var dx = [Double](repeating: 0, count: g.batch * g.inputSampleSize)
  forEachTap(g) { row, xi, kr in
    for o in 0..<f { dx[xi] += Double(dy[row * f + o]) * Double(k[kr * f + o]) }
  }
  return dx
}
