import Foundation

/// A pool of 64-byte-aligned float buffers, reused by exact size.
///
/// Training repeats the same shapes every step; handing freed buffers back to the next step avoids fresh
/// page faults for hundreds of megabytes per step (glibc returns large blocks to the OS on free).
public final class BufferPool: @unchecked Sendable {
  public static let shared = BufferPool(maximumCachedBytes: 768 << 20)

  private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
  private var cachedBytes = 0
  private let maximumCachedBytes: Int
  private let lock = NSLock()

  public init(maximumCachedBytes: Int) { self.maximumCachedBytes = maximumCachedBytes }

  /// Returns an uninitialised buffer of exactly `count` floats (count may be 0).
  public func take(_ count: Int) -> UnsafeMutablePointer<Float> {
    let n = max(count, 1)
    lock.lock()
    if var list = free[n], let p = list.popLast() {
      free[n] = list
      cachedBytes -= n * 4
      lock.unlock()
      return p
    }
    lock.unlock()
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, 64, n * MemoryLayout<Float>.stride) == 0, let raw else {
      fatalError("BufferPool: out of memory allocating \(n) floats")
    }
    return raw.bindMemory(to: Float.self, capacity: n)
  }

  /// Gives a buffer obtained from `take(count)` back to the pool.
  public func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
    let n = max(count, 1)
    lock.lock()
    if cachedBytes + n * 4 <= maximumCachedBytes {
      free[n, default: []].append(pointer)
      cachedBytes += n * 4
      lock.unlock()
    } else {
      lock.unlock()
      Foundation.free(pointer)
    }
  }

  /// Releases every cached buffer to the system.
  public func trim() {
    lock.lock()
    for (_, list) in free { for p in list { Foundation.free(p) } }
    free.removeAll()
    cachedBytes = 0
    lock.unlock()
  }

  /// Runs `body` with a scratch buffer of at least `count` floats, returned to the pool afterwards.
  public func withScratch<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
    let p = take(count)
    defer { give(p, count: count) }
    return try body(p)
  }
}
