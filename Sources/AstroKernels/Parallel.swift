import Dispatch
import Foundation

/// Splits data-parallel work over the machine's cores.
///
/// The library does its own threading and keeps OpenBLAS single-threaded (see `BLAS`), so the two never
/// compete for cores: each worker runs its own slice, including its own sgemm calls.
public enum Parallel {
  /// Number of workers used by `forEachChunk`: `ASTRO_THREADS` if set, otherwise the active core count.
  public static var workerCount: Int {
    get { workers.get() }
    set { workers.set(max(1, newValue)) }
  }

  private static let workers = LockedValue<Int>({
    if let text = ProcessInfo.processInfo.environment["ASTRO_THREADS"], let n = Int(text), n > 0 { return n }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
  }())

  /// Calls `body(worker, range)` for contiguous, disjoint slices covering `0..<count`.
  ///
  /// At most `workers` (default `workerCount`) slices are made, and none smaller than `minimumPerWorker` (so
  /// tiny jobs stay on the calling thread). `worker` is the slice index, usable to pick per-worker scratch
  /// buffers. Each call of `body` must touch only its own range of what it writes.
  public static func forEachChunk(
    _ count: Int, minimumPerWorker: Int = 1, workers limit: Int? = nil, _ body: (_ worker: Int, _ range: Range<Int>) -> Void
  ) {
    guard count > 0 else { return }
    let workers = isInsideWorker ? 1 : max(1, min(limit ?? workerCount, count / max(1, minimumPerWorker)))
    if workers == 1 {
      body(0, 0..<count)
      return
    }
    // The closure runs only until concurrentPerform returns, so it never actually escapes.
    withoutActuallyEscaping(body) { body in
      let shared = UncheckedSendable(body)
      DispatchQueue.concurrentPerform(iterations: workers) { w in
        let start = count * w / workers
        let end = count * (w + 1) / workers
        guard start < end else { return }
        let outer = pthread_getspecific(workerKey)
        pthread_setspecific(workerKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(workerKey, outer) }
        shared.value(w, start..<end)
      }
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

/// A non-`Sendable` value handed to the workers of one `Parallel.forEachChunk` call.
///
/// Safe because `concurrentPerform` returns only when every worker is done (the value never outlives the
/// call that made it), and the contract of `forEachChunk` is that each worker touches only its own range:
/// what the closure captures is shared read-only, or written at disjoint places. `make test-tsan` runs the
/// parallel code under ThreadSanitizer.
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

/// A value that any thread may read or set (process-wide settings: the worker count, the AVX-512 switch,
/// profiling; caches shared by threads). Reads take an uncontended lock, which costs nanoseconds beside the work they guard.
public final class LockedValue<Value: Sendable>: @unchecked Sendable {
  // Unchecked Sendable: `value` is only read or written while `lock` is held.
  private let lock = NSLock()
  private var value: Value

  public init(_ value: Value) { self.value = value }

  public func get() -> Value {
    lock.lock()
    defer { lock.unlock() }
    return value
  }

  public func set(_ newValue: Value) {
    lock.lock()
    value = newValue
    lock.unlock()
  }

  /// Reads and changes the value in one step (a check-then-insert, say), with the lock held throughout.
  public func update<Result>(_ body: (inout Value) -> Result) -> Result {
    lock.lock()
    defer { lock.unlock() }
    return body(&value)
  }
}
