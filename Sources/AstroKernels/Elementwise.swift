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

  /// Runs `body` over disjoint slices of `0..<count`, in parallel when the array is large.
  @inline(__always)
  public static func forEachSlice(_ count: Int, _ body: (Range<Int>) -> Void) {
    Parallel.forEachChunk(count, minimumPerWorker: 1 << 16) { _, range in body(range) }
  }
}
