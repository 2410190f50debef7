import AstroKernels
import Foundation

/// Runs per-sample work over several threads. Samples are independent (each has its own random stream and
/// its own output slots), so the split only affects speed, never the result.
enum ParallelSamples {
  /// The default worker count: every core the process may use.
  static var defaultThreads: Int { ProcessInfo.processInfo.activeProcessorCount }

  /// Calls `body(index)` once for every index in `0..<count` on up to `threads` workers (the library's one
  /// parallel helper, `Parallel.forEachChunk`), in runs of at least `chunk` indices.
  static func forEach(count: Int, threads: Int, chunk: Int = 16, _ body: (Int) -> Void) {
    Parallel.forEachChunk(count, minimumPerWorker: chunk, workers: threads) { _, range in
      for index in range { body(index) }
    }
  }
}

/// Sample identifiers in the style of ZTF candids (19-digit int64), unique within a set and, in practice,
/// across seeds: `1_000_000_000_000_000_000 + (seed mod 10^9) * 10^9 + index`.
public enum SyntheticIdentifiers {
  /// The largest index an identifier can encode (sets are limited to this many samples).
  public static let maximumCount = 1_000_000_000

  /// The identifier of sample `index` of the set generated with `seed`.
  public static func identifier(seed: UInt64, index: Int) -> Int64 {
    precondition(index >= 0 && index < maximumCount, "identifier: index \(index) out of range")
    return 1_000_000_000_000_000_000 + Int64(seed % 1_000_000_000) * 1_000_000_000 + Int64(index)
  }
}
