import AstroKernelsC

/// Small loops over raw buffers that the compiler vectorises; shared by several ops.
public enum Elementwise {
  /// Adds `bias[columns]` to every row of `x[rows × columns]` and applies ReLU if asked, in place.
  @inline(__always)
  public static func addRowVectorAndActivate(
    _ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int, bias: UnsafePointer<Float>?, relu: Bool
  ) {
    if let bias {
      for r in 0..<rows {
        let row = x + r * columns
        if relu {
          for c in 0..<columns { row[c] = max(row[c] + bias[c], 0) }
        } else {
          for c in 0..<columns { row[c] += bias[c] }
        }
      }
    } else if relu {
      for i in 0..<(rows * columns) { x[i] = max(x[i], 0) }
    }
  }

  /// `sums[c] += Σ_r x[r, c]`.
  @inline(__always)
  public static func accumulateColumnSums(
    _ x: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>
  ) {
    for r in 0..<rows {
      let row = x + r * columns
      for c in 0..<columns { sums[c] += row[c] }
    }
  }

  /// The elementwise binary operations of the autodiff core that run on whole activations.
  public enum BinaryOperation: Sendable {
    case add, subtract, multiply
    /// `max(a + b, 0)`: a residual connection and its ReLU.
    case addThenRelu
    /// `b > 0 ? a : 0`: a gradient masked by a ReLU's output.
    case keepWherePositive
  }

  /// `out[i] = a[i] ∘ b[i]`, in parallel over large arrays. Each operation has its own loop: a closure called
  /// per element (as a generic `zip` would) is not vectorised, and made ResNet50's residual additions 5x slower.
  public static func combine(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ operation: BinaryOperation,
    into out: UnsafeMutablePointer<Float>, count: Int
  ) {
    forEachSlice(count) { range in
      let n = range.count, a = a + range.lowerBound, b = b + range.lowerBound, out = out + range.lowerBound
      switch operation {
      case .add: for i in 0..<n { out[i] = a[i] + b[i] }
      case .subtract: for i in 0..<n { out[i] = a[i] - b[i] }
      case .multiply: for i in 0..<n { out[i] = a[i] * b[i] }
      case .addThenRelu: for i in 0..<n { out[i] = max(a[i] + b[i], 0) }
      case .keepWherePositive:
        for i in 0..<n {
          // Both loads before the select, so it compiles to a vector blend instead of a branch.
          let v = a[i], keep = b[i] > 0
          out[i] = keep ? v : 0
        }
      }
    }
  }

  /// `out[columns × rows] = matrixᵀ` for a row-major `matrix[rows × columns]`, in 16×16 tiles so that both
  /// sides stay in cache (ResNet50's 512 × 2048 kernels are transposed every backward pass).
  public static func transpose(
    _ matrix: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>
  ) {
    let tile = 16
    for r0 in stride(from: 0, to: rows, by: tile) {
      for c0 in stride(from: 0, to: columns, by: tile) {
        for r in r0..<min(r0 + tile, rows) {
          for col in c0..<min(c0 + tile, columns) { out[col * rows + r] = matrix[r * columns + col] }
        }
      }
    }
  }

  /// Runs `body` over disjoint slices of `0..<count`, in parallel when the array is large.
  @inline(__always)
  public static func forEachSlice(_ count: Int, _ body: (Range<Int>) -> Void) {
    Parallel.forEachChunk(count, minimumPerWorker: 1 << 16) { _, range in body(range) }
  }

  /// Inverted dropout: `mask[i]` is `1 / keepProbability` where element i is kept and 0 where it is dropped,
  /// and `y = x · mask`. Element i's draw is 16 bits of a hash of `(key, i / 4)`, so the result depends only on
  /// the key, not on the thread count or on the kernel route (`KernelISA.active`).
  public static func dropout(
    _ x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>, count: Int,
    key: UInt64, keepProbability: Float
  ) {
    let threshold = UInt32((Double(keepProbability) * 65536).rounded())
    let scale = 1 / keepProbability, isa = KernelISA.active.code
    forEachSlice(count) { range in
      astro_dropout_forward(x, y, mask, range.lowerBound, range.upperBound, key, threshold, scale, isa)
    }
  }

  /// Inverted dropout with one key per row of `rowLength` elements: row r's mask depends only on `rowKeys[r]`
  /// (and the element's place in the row), not on which other rows share the batch. Data-parallel training
  /// keys rows by sample, so a sample gets the same mask whichever process or batch slice it lands in.
  public static func dropout(
    _ x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>,
    rowKeys: [UInt64], rowLength: Int, keepProbability: Float
  ) {
    let threshold = UInt32((Double(keepProbability) * 65536).rounded())
    let scale = 1 / keepProbability, isa = KernelISA.active.code
    Parallel.forEachChunk(rowKeys.count, minimumPerWorker: max(1, (1 << 16) / max(rowLength, 1))) { _, rows in
      for r in rows {
        let offset = r * rowLength
        astro_dropout_forward(x + offset, y + offset, mask + offset, 0, rowLength, rowKeys[r], threshold, scale, isa)
      }
    }
  }
}
