import Dispatch
import Foundation

/// Splits data-parallel work over the machine's cores.
///
/// The library does its own threading and keeps OpenBLAS single-threaded (see `BLAS`), so the two never
/// compete for cores: each worker runs its own slice, including its own sgemm calls.
public enum Parallel {
  /// Number of workers used by `forEachChunk`: `ASTRO_THREADS` if set, otherwise the active core count.
  nonisolated(unsafe) public static var workerCount: Int = {
    if let text = ProcessInfo.processInfo.environment["ASTRO_THREADS"], let n = Int(text), n > 0 { return n }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
  }()

  /// Calls `body(worker, range)` for contiguous, disjoint slices covering `0..<count`.
  ///
  /// At most `workerCount` slices are made, and none smaller than `minimumPerWorker` (so tiny jobs stay on
  /// the calling thread). `worker` is the slice index, usable to pick per-worker scratch buffers.
  public static func forEachChunk(
    _ count: Int, minimumPerWorker: Int = 1, _ body: (_ worker: Int, _ range: Range<Int>) -> Void
  ) {
    guard count > 0 else { return }
    let workers = isInsideWorker ? 1 : max(1, min(workerCount, count / max(1, minimumPerWorker)))
    if workers == 1 {
      body(0, 0..<count)
      return
    }
    DispatchQueue.concurrentPerform(iterations: workers) { w in
      let start = count * w / workers
      let end = count * (w + 1) / workers
      guard start < end else { return }
      let outer = pthread_getspecific(workerKey)
      pthread_setspecific(workerKey, UnsafeRawPointer(bitPattern: 1))
      defer { pthread_setspecific(workerKey, outer) }
      body(w, start..<end)
    }
  }

  /// Whether the calling thread is running a slice of a split `forEachChunk`. Nested calls then run on
  /// that thread alone: the cores are already busy, and splitting again would only add scheduling.
  public static var isInsideWorker: Bool { pthread_getspecific(workerKey) != nil }

  private static let workerKey: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, nil) == 0, "Parallel: no thread-specific key available")
    return key
  }()
}
