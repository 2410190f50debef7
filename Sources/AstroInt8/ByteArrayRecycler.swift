import Foundation

/// The byte arrays of a run's intermediate tensors, handed to the next run's kernels. A fresh array of megabytes is
/// fresh pages from the OS (glibc maps and unmaps large blocks), and the kernel zeroing those pages took a third of
/// an int8 VGG6 inference at batch 256. `BufferPool` recycles raw float buffers; a `TensorValues` holds a `[UInt8]`,
/// so here the arrays themselves are kept. Unchecked Sendable: `arrays` and `bytes` are only touched with `lock` held.
final class ByteArrayRecycler: @unchecked Sendable {
  /// The recycler of the run in progress on this thread (`TensorValues(uninitialized:)` takes from it).
  @TaskLocal static var current: ByteArrayRecycler?

  /// At most this many bytes are kept: one run's intermediates of a large batch, not an unbounded cache.
  static let maximumBytes = 1 << 30

  private var arrays: [Int: [[UInt8]]] = [:]
  private var bytes = 0
  private let lock = NSLock()

  /// An array of exactly `count` bytes (its contents are stale), or nil when none is kept.
  func take(_ count: Int) -> [UInt8]? {
    lock.lock()
    defer { lock.unlock() }
    guard let array = arrays[count]?.popLast() else { return nil }
    bytes -= count
    return array
  }

  /// Keeps `array` for a later `take`, unless the recycler is full.
  func give(_ array: [UInt8]) {
    lock.lock()
    defer { lock.unlock() }
    guard bytes + array.count <= Self.maximumBytes else { return }
    arrays[array.count, default: []].append(array)
    bytes += array.count
  }
}
