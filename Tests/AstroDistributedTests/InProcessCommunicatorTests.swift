import AstroDistributed
import Foundation
import XCTest

/// The in-process group's collectives on 2 and 3 ranks, its timeout and its failure propagation (the MPI
/// communicator runs the same checks under mpirun: BraaiTests/DistributedTrainingTests).
final class InProcessCommunicatorTests: XCTestCase {
  /// Runs `body` on `ranks` threads of one group; returns each rank's result or error.
  func onRanks<T>(_ ranks: Int, timeout: TimeInterval = 30, _ body: @escaping @Sendable (Communicator) throws -> T) -> [Result<T, Error>] {
    let group = InProcessGroup(size: ranks, timeout: timeout)
    let lock = NSLock()
    nonisolated(unsafe) var results = [Result<T, Error>?](repeating: nil, count: ranks)
    let done = DispatchGroup()
    for rank in 0..<ranks {
      done.enter()
      Thread {
        let result = Result { try body(group.communicator(rank: rank)) }
        lock.withLock { results[rank] = result }
        done.leave()
      }.start()
    }
    done.wait()
    return results.map { $0! }
  }

  func testAllreduceBroadcastAllgatherBarrier() throws {
    for ranks in [2, 3] {
      let outcomes = onRanks(ranks) { c -> [[Float]] in
        let r = Float(c.rank)
        let sum = try c.allreduce([r, 1, 0.5 * r], .sum)
        let mean = try c.allreduce([r, 2], .average)
        let wide = try c.allreduce([Double(c.rank) * 1e10 + 1], .sum)
        let root = ranks - 1
        let broadcast = try c.broadcast(c.rank == root ? [Float(7), 8, 9] : [0, 0, 0], root: root)
        var bytes: [UInt8] = c.rank == 0 ? Array("run state".utf8) : []
        try c.broadcast(&bytes, root: 0)
        let gathered = try c.allgather(Array(repeating: r, count: c.rank + 1))
        try c.barrier()
        return [sum, mean, wide.map { Float($0) }, broadcast, [Float(bytes.count)], gathered.flatMap { $0 }]
      }
      let n = Float(ranks), total = n * (n - 1) / 2
      for (rank, outcome) in outcomes.enumerated() {
        let values = try outcome.get()
        XCTAssertEqual(values[0], [total, n, 0.5 * total], "\(ranks) ranks, rank \(rank): sum")
        XCTAssertEqual(values[1], [total / n, 2], "average")
        XCTAssertEqual(values[2], [Float(Double(total) * 1e10 + Double(ranks))], "double sum")
        XCTAssertEqual(values[3], [7, 8, 9], "broadcast from the last rank")
        XCTAssertEqual(values[4], [9], "bytes broadcast")
        XCTAssertEqual(values[5], (0..<ranks).flatMap { Array(repeating: Float($0), count: $0 + 1) }, "allgather in rank order")
      }
    }
  }

  func testAMissingRankTimesOutOnEveryWaitingRank() {
    let start = Date()
    let outcomes = onRanks(3, timeout: 0.5) { c -> Bool in
      if c.rank == 2 { return true }  // never joins
      _ = try c.allreduce([Float(1)], .sum)
      return false
    }
    XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    for rank in 0..<2 {
      XCTAssertThrowsError(try outcomes[rank].get()) { error in
        XCTAssertTrue("\(error)".contains("rank(s) [2]"), "\(error)")
      }
    }
  }

  func testMismatchedCollectivesAndFailuresAreErrors() {
    let outcomes = onRanks(2) { c -> Bool in
      if c.rank == 0 { _ = try c.allreduce([Float(1), 2], .sum) } else { _ = try c.allreduce([Float(1)], .sum) }
      return true
    }
    for outcome in outcomes {
      XCTAssertThrowsError(try outcome.get()) { XCTAssertTrue("\($0)".contains("same collectives"), "\($0)") }
    }
    let group = InProcessGroup(size: 2, timeout: 30)
    group.fail("rank 1: out of memory")
    XCTAssertThrowsError(try group.communicator(rank: 0).barrier()) { XCTAssertTrue("\($0)".contains("out of memory"), "\($0)") }
    XCTAssertThrowsError(try group.communicator(rank: 0).broadcast([1], root: 2)) { XCTAssertTrue("\($0)".contains("root 2"), "\($0)") }
  }
}
