import AstroKernels
import Dispatch
import Foundation

/// Per-layer wall-clock profile of forward and backward passes, off unless `isEnabled`.
///
/// Models label what they run (`Profiler.scope`), and recorded graph nodes keep that label, so the
/// backward pass is attributed to the same layer. Used by the benchmark harness's profile output.
/// Entries may be added from several threads (`Model.predict` runs micro-batches on every core; their
/// times then add up to core time, not wall time).
public enum Profiler {
  /// Whether `measure` records timings; shared by all threads.
  public static var isEnabled: Bool {
    get { enabled.get() }
    set { enabled.set(newValue) }
  }
  private static let enabled = LockedValue(false)
  /// Label given to operations recorded now on the calling thread (`Model.forward` runs each layer in
  /// `withScope(layer.name)`).
  @TaskLocal public static var scope: String?

  /// Runs `body` with `scope` set to `label` on the calling thread.
  public static func withScope<R>(_ label: String?, _ body: () throws -> R) rethrows -> R {
    try $scope.withValue(label, operation: body)
  }
  // Unsafe only in name: both are read and written with `lock` held.
  nonisolated(unsafe) private static var totals: [String: (seconds: Double, calls: Int)] = [:]
  nonisolated(unsafe) private static var order: [String] = []
  private static let lock = NSLock()

  /// Adds `seconds` to the entry `label`.
  public static func add(_ label: String, seconds: Double) {
    lock.lock()
    defer { lock.unlock() }
    if totals[label] == nil { order.append(label) }
    let old = totals[label] ?? (0, 0)
    totals[label] = (old.seconds + seconds, old.calls + 1)
  }

  /// Times `body` under `label` when profiling is on.
  @inline(__always)
  public static func measure<R>(_ label: @autoclosure () -> String, _ body: () throws -> R) rethrows -> R {
    guard isEnabled else { return try body() }
    let start = DispatchTime.now().uptimeNanoseconds
    defer { add(label(), seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
    return try body()
  }

  /// Entries in first-seen order with total seconds and call counts; clears them.
  public static func drain() -> [(label: String, seconds: Double, calls: Int)] {
    lock.lock()
    defer { totals = [:]; order = []; lock.unlock() }
    return order.map { ($0, totals[$0]!.seconds, totals[$0]!.calls) }
  }
}
