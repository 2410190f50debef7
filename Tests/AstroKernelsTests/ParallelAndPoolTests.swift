import AstroKernels
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

  func testDoesNotCacheBeyondItsLimit() {
    // 400 bytes of cache: one 100-float buffer fits, the second is freed instead of cached.
    let pool = BufferPool(maximumCachedBytes: 400)
    defer { pool.trim() }
    let a = pool.take(100), b = pool.take(100)
    pool.give(a, count: 100)
    pool.give(b, count: 100)
    XCTAssertEqual(pool.take(100), a)
    let next = pool.take(100)
    XCTAssertNotEqual(next, a)
    pool.give(next, count: 100)
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
