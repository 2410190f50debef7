import Foundation

/// A pool of 64-byte-aligned float buffers, reused by exact size.
///
/// Training repeats the same shapes every step; handing freed buffers back to the next step avoids fresh
/// page faults (and the kernel zeroing every fresh page) for gigabytes per step: glibc returns large blocks
/// to the OS on free. When the cache is full, the least recently given buffers are released first, so a
/// change of shapes (another model, another batch size) replaces stale buffers instead of locking them in.
/// Unchecked Sendable: its lists and counters are only touched with `lock` held.
public final class BufferPool: @unchecked Sendable {
  /// Caches up to a quarter of physical memory (at most 6 GiB): DenseNet121 at batch 32 turns over 3.5 GB a step.
  public static let shared = BufferPool(
    maximumCachedBytes: min(6 << 30, Int(clamping: ProcessInfo.processInfo.physicalMemory / 4)))

  static let hugePageBytes = 2 << 20
  static let hugePageThreshold = 4 << 20

  private struct Cached {
    let pointer: UnsafeMutablePointer<Float>
    let sequence: Int
  }

  private var free: [Int: [Cached]] = [:]
  /// (count, sequence) of cached buffers in the order given, oldest first from `orderStart`; entries whose
  /// buffer was taken again are skipped when evicting.
  private var order: [(count: Int, sequence: Int)] = []
  private var orderStart = 0
  private var nextSequence = 0
  private var cachedBytes = 0
  private var cachedCount = 0
  private let maximumCachedBytes: Int
  private let lock = NSLock()

  public init(maximumCachedBytes: Int) { self.maximumCachedBytes = maximumCachedBytes }

  /// Bytes currently held in the cache (not handed out).
  public var cachedByteCount: Int {
    lock.lock()
    defer { lock.unlock() }
    return cachedBytes
  }

  /// Returns an uninitialised buffer of exactly `count` floats (count may be 0).
  public func take(_ count: Int) -> UnsafeMutablePointer<Float> {
    let n = max(count, 1)
    lock.lock()
    if var list = free[n], let cached = list.popLast() {
      free[n] = list
      cachedBytes -= n * 4
      cachedCount -= 1
      lock.unlock()
      return cached.pointer
    }
    lock.unlock()
    let bytes = n * MemoryLayout<Float>.stride
    // Large buffers are aligned to 2 MiB and offered to transparent huge pages: one fault maps 2 MiB
    // instead of 4 KiB.
    let huge = bytes >= Self.hugePageThreshold
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, huge ? Self.hugePageBytes : 64, bytes) == 0, let raw else {
      fatalError("BufferPool: out of memory allocating \(n) floats")
    }
    #if os(Linux)
    if huge { _ = madvise(raw, (bytes / Self.hugePageBytes) * Self.hugePageBytes, MADV_HUGEPAGE) }
    #endif
    return raw.bindMemory(to: Float.self, capacity: n)
  }

  /// Gives a buffer obtained from `take(count)` back to the pool.
  public func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
    let n = max(count, 1)
    guard n * 4 <= maximumCachedBytes else {
      Foundation.free(pointer)
      return
    }
    lock.lock()
    var released: [UnsafeMutablePointer<Float>] = []
    while cachedBytes + n * 4 > maximumCachedBytes, let oldest = evictOldest() { released.append(oldest) }
    free[n, default: []].append(Cached(pointer: pointer, sequence: nextSequence))
    order.append((n, nextSequence))
    nextSequence += 1
    cachedBytes += n * 4
    cachedCount += 1
    compactOrderIfMostlyStale()
    lock.unlock()
    for p in released { Foundation.free(p) }
  }

  /// Drops entries of buffers taken again, once they outnumber the cached ones (caller holds the lock):
  /// the order list would otherwise grow by one entry per `give` for the life of the process.
  private func compactOrderIfMostlyStale() {
    guard order.count - orderStart > 2 * cachedCount + 1024 else { return }
    let live = Set(free.values.joined().map(\.sequence))
    order = order[orderStart...].filter { live.contains($0.sequence) }
    orderStart = 0
  }

  /// Removes the least recently given cached buffer from the cache (caller holds the lock).
  private func evictOldest() -> UnsafeMutablePointer<Float>? {
    while orderStart < order.count {
      let (n, sequence) = order[orderStart]
      orderStart += 1
      guard var list = free[n], let index = list.firstIndex(where: { $0.sequence == sequence }) else { continue }
      let pointer = list.remove(at: index).pointer
      free[n] = list.isEmpty ? nil : list
      cachedBytes -= n * 4
      cachedCount -= 1
      return pointer
    }
    return nil
  }

  /// Releases every cached buffer to the system.
  public func trim() {
    lock.lock()
    for (_, list) in free { for cached in list { Foundation.free(cached.pointer) } }
    free.removeAll()
    order.removeAll()
    orderStart = 0
    cachedBytes = 0
    cachedCount = 0
    lock.unlock()
  }

  /// Runs `body` with a scratch buffer of at least `count` floats, returned to the pool afterwards.
  public func withScratch<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
    let p = take(count)
    defer { give(p, count: count) }
    return try body(p)
  }
}
