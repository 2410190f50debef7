@testable import AstroKernels
import Foundation
import XCTest

final class ParallelTests: XCTestCase {
  /// Records every (worker, range) call of one forEachChunk run.
  func chunks(_ count: Int, minimumPerWorker: Int) -> [(worker: Int, range: Range<Int>)] {
    let lock = NSLock()
    var calls: [(Int, Range<Int>)] = []
    Parallel.forEachChunk(count, minimumPerWorker: minimumPerWorker) { w, r in
      lock.lock()
      calls.append((w, r))
      lock.unlock()
    }
    return calls.sorted { $0.1.lowerBound < $1.1.lowerBound }.map { (worker: $0.0, range: $0.1) }
  }

  func testForEachChunkCoversEveryIndexExactlyOnce() {
    withWorkerCounts([1, 2, 3, 4, 7]) { workers in
      for count in [0, 1, 2, 3, 5, 7, 11, 64, 101, 1001] {
        for minimum in [1, 2, 3, 10, 64] {
          let calls = chunks(count, minimumPerWorker: minimum)
          var hits = [Int](repeating: 0, count: count)
          for (_, r) in calls { for i in r { hits[i] += 1 } }
          let context = "count \(count) minimum \(minimum) workers \(workers)"
          XCTAssertTrue(hits.allSatisfy { $0 == 1 }, "every index once: \(context)")
          // Slices are contiguous and in worker order, at most workerCount of them, none empty.
          XCTAssertLessThanOrEqual(calls.count, workers, context)
          XCTAssertTrue(calls.allSatisfy { !$0.range.isEmpty }, context)
          XCTAssertEqual(Set(calls.map(\.worker)).count, calls.count, "distinct worker indices: \(context)")
          XCTAssertTrue(calls.allSatisfy { $0.worker >= 0 && $0.worker < max(workers, 1) }, "worker index in range: \(context)")
          for (a, b) in zip(calls, calls.dropFirst()) {
            XCTAssertEqual(a.range.upperBound, b.range.lowerBound, context)
            XCTAssertLessThan(a.worker, b.worker, context)
          }
          // Several slices only when each gets at least the minimum.
          if calls.count > 1 { XCTAssertTrue(calls.allSatisfy { $0.range.count >= minimum }, context) }
          if count == 0 { XCTAssertTrue(calls.isEmpty, context) }
        }
      }
    }
  }

  func testForEachChunkUsesSeveralWorkersForLargeCounts() {
    withWorkerCounts([3]) { _ in
      let calls = chunks(1000, minimumPerWorker: 10)
      XCTAssertEqual(calls.map(\.range.count), [333, 333, 334])
    }
  }

  func testTinyJobsStayOnTheCallingThread() {
    withWorkerCounts([4]) { _ in
      var onCaller = false
      let caller = Thread.current
      Parallel.forEachChunk(5, minimumPerWorker: 10) { _, _ in onCaller = Thread.current == caller }
      XCTAssertTrue(onCaller)
    }
  }
}

final class BufferPoolTests: XCTestCase {
  func testReusesAGivenBackBufferOfTheSameSize() {
    let pool = BufferPool(maximumCachedBytes: 1 << 20)
    defer { pool.trim() }
    let a = pool.take(1000)
    a.update(repeating: 3, count: 1000)
    pool.give(a, count: 1000)
    let b = pool.take(1000)
    XCTAssertEqual(a, b, "same-size buffer reused")
    // A buffer of another size is not handed out for this one.
    pool.give(b, count: 1000)
    let c = pool.take(999)
    XCTAssertNotEqual(c, b)
    let d = pool.take(1000)
    XCTAssertEqual(d, b)
    pool.give(c, count: 999)
    pool.give(d, count: 1000)
  }

  func testBuffersAreAlignedAndDistinctWhileHeld() {
    let pool = BufferPool(maximumCachedBytes: 1 << 20)
    defer { pool.trim() }
    let buffers = (0..<8).map { _ in pool.take(37) }
    XCTAssertEqual(Set(buffers).count, 8)
    for p in buffers {
      XCTAssertEqual(Int(bitPattern: p) % 64, 0, "64-byte aligned")
      p.update(repeating: 1, count: 37)  // writable over the full count
    }
    for p in buffers { pool.give(p, count: 37) }
    // All eight come back (last given first).
    let again = (0..<8).map { _ in pool.take(37) }
    XCTAssertEqual(Set(again), Set(buffers))
    for p in again { pool.give(p, count: 37) }
  }

  func testZeroSizedTakeIsUsable() {
    let pool = BufferPool(maximumCachedBytes: 1 << 20)
    defer { pool.trim() }
    let p = pool.take(0)
    pool.give(p, count: 0)
    XCTAssertEqual(pool.take(0), p)
  }

  func testEvictsTheLeastRecentlyGivenBufferBeyondItsLimit() {
    // 800 bytes of cache: two 100-float buffers fit; giving a third releases the oldest, not the newest.
    let pool = BufferPool(maximumCachedBytes: 800)
    defer { pool.trim() }
    let a = pool.take(100), b = pool.take(100), c = pool.take(100)
    pool.give(a, count: 100)
    pool.give(b, count: 100)
    XCTAssertEqual(pool.cachedByteCount, 800)
    pool.give(c, count: 100)
    XCTAssertEqual(pool.cachedByteCount, 800)
    let first = pool.take(100), second = pool.take(100)
    XCTAssertEqual(Set([first, second]), Set([b, c]), "a, given first, was released")
    XCTAssertEqual(pool.cachedByteCount, 0)
    pool.give(first, count: 100)
    pool.give(second, count: 100)
  }

  func testAStaleSizeMakesRoomForTheCurrentOne() {
    // Shapes change (another batch size): the old size's buffers give way instead of filling the cache.
    let pool = BufferPool(maximumCachedBytes: 4000)
    defer { pool.trim() }
    let old = (0..<10).map { _ in pool.take(100) }
    for p in old { pool.give(p, count: 100) }
    XCTAssertEqual(pool.cachedByteCount, 4000)
    let current = (0..<5).map { _ in pool.take(150) }
    for p in current { pool.give(p, count: 150) }
    XCTAssertEqual(Set((0..<5).map { _ in pool.take(150) }), Set(current), "all five current buffers cached")
    XCTAssertLessThanOrEqual(pool.cachedByteCount, 4000)
    for p in current { pool.give(p, count: 150) }
  }

  func testBufferLargerThanTheWholeCacheIsReleased() {
    let pool = BufferPool(maximumCachedBytes: 400)
    defer { pool.trim() }
    let small = pool.take(50)
    pool.give(small, count: 50)
    let big = pool.take(101)
    pool.give(big, count: 101)
    XCTAssertEqual(pool.cachedByteCount, 200, "the small buffer stays, the oversized one is not cached")
  }

  func testManyTakeGiveCyclesKeepTheCacheConsistent() {
    // Exercises compaction of the eviction order (one entry per give) while sizes cycle.
    let pool = BufferPool(maximumCachedBytes: 1200)
    defer { pool.trim() }
    for i in 0..<5000 {
      let n = 50 + (i % 7) * 10
      let p = pool.take(n)
      p[n - 1] = 1
      pool.give(p, count: n)
      XCTAssertLessThanOrEqual(pool.cachedByteCount, 1200)
    }
    XCTAssertGreaterThan(pool.cachedByteCount, 0)
  }

  func testLargeBuffersAreHugePageAligned() {
    let pool = BufferPool(maximumCachedBytes: 64 << 20)
    defer { pool.trim() }
    let n = (BufferPool.hugePageThreshold / 4) + 3
    let p = pool.take(n)
    XCTAssertEqual(Int(bitPattern: p) % BufferPool.hugePageBytes, 0)
    p.update(repeating: 2, count: n)
    XCTAssertEqual(p[n - 1], 2)
    pool.give(p, count: n)
  }

  func testWithScratchReturnsTheBuffer() {
    let pool = BufferPool(maximumCachedBytes: 1 << 20)
    defer { pool.trim() }
    let first = pool.withScratch(64) { p -> UnsafeMutablePointer<Float> in
      p.update(repeating: 0, count: 64)
      return p
    }
    let second = pool.withScratch(64) { $0 }
    XCTAssertEqual(first, second)
  }

  func testConcurrentTakeAndGive() {
    let pool = BufferPool(maximumCachedBytes: 1 << 20)
    defer { pool.trim() }
    DispatchQueue.concurrentPerform(iterations: 8) { i in
      for _ in 0..<200 {
        let n = 16 + i % 3
        let p = pool.take(n)
        p.update(repeating: Float(i), count: n)
        XCTAssertTrue((0..<n).allSatisfy { p[$0] == Float(i) }, "a buffer was handed to two threads")
        pool.give(p, count: n)
      }
    }
  }
}
