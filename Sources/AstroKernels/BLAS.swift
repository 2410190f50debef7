// Where Apple's Accelerate exists (macOS) its CBLAS serves; elsewhere OpenBLAS (Debian's libopenblas-dev).
#if canImport(Accelerate)
import Accelerate
#else
import _COpenBLAS
#endif

/// Single-precision matrix products on CBLAS (row-major).
public enum BLAS {
  /// OpenBLAS runs single-threaded: the library parallelises around it (`Parallel`), which keeps caches
  /// warm per worker and stops OpenBLAS's spinning threads from fighting ours for the two cores.
  public static let configured: Void = {
    #if !canImport(Accelerate)
    openblas_set_num_threads(1)
    #endif
  }()

  /// `C[m×n] = alpha * op(A) * op(B) + beta * C`, row-major; `op(A)` is `m×k`, `op(B)` is `k×n`.
  @inline(__always)
  public static func sgemm(
    transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    _ = configured
    guard m > 0, n > 0 else { return }
    if k == 0 {
      // BLAS leaves C untouched for k = 0 only when beta = 1; make the result explicit.
      for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
      return
    }
    cblas_sgemm(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// `C = A·B` split over workers by rows of C (falls back to one call when small). Where the direct AVX-512
  /// kernels run it (`DirectMatmul`), they do, with `beta` 0.
  public static func parallelMatmul(
    m: Int, n: Int, k: Int, a: UnsafePointer<Float>, transA: Bool = false, b: UnsafePointer<Float>,
    transB: Bool = false, beta: Float = 0, c: UnsafeMutablePointer<Float>
  ) {
    if beta == 0, k > 0, !(transA && transB), DirectMatmul.handles(m: m, n: n, transA: transA) {
      DirectMatmul.multiply(m: m, n: n, k: k, a: a, transA: transA, b: b, transB: transB, c: c)
      return
    }
    let lda = transA ? m : k
    let ldb = transB ? k : n
    let flopsPerRow = 2 * n * k
    Parallel.forEachChunk(m, minimumPerWorker: max(1, 2_000_000 / max(1, flopsPerRow))) { _, rows in
      let aStart = transA ? a + rows.lowerBound : a + rows.lowerBound * lda
      sgemm(
        transA: transA, transB: transB, m: rows.count, n: n, k: k, a: aStart, lda: lda, b: b, ldb: ldb,
        beta: beta, c: c + rows.lowerBound * n, ldc: n)
    }
  }
}
