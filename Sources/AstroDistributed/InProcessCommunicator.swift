import Foundation

/// A group of ranks that are threads of one process, for tests and for trying distributed code without MPI.
///
/// Make the group, hand `communicator(rank:)` to each of `size` threads, and run the same code on each.
/// Reductions add the ranks' values in rank order, so results are deterministic. A collective that waits
/// longer than `timeout` throws on every rank; `fail(_:)` (a rank whose work threw) makes every rank's
/// pending and later collectives throw at once, naming the failure, instead of waiting for the timeout.
public final class InProcessGroup: @unchecked Sendable {
  /// Number of ranks.
  public let size: Int
  /// Seconds a collective waits for the other ranks before throwing.
  public let timeout: TimeInterval

  // One round at a time: every rank deposits, the last one publishes the round's contributions and starts the
  // next round. A rank cannot deposit twice before the round completes, so `published` is never overwritten
  // before every rank of its round has read it.
  private let condition = NSCondition()
  private var deposits: [(operation: String, payload: Any)?]
  private var published: [(operation: String, payload: Any)] = []
  private var round = 0
  private var failure: String?

  /// A group of `size` ranks whose collectives give up after `timeout` seconds.
  public init(size: Int, timeout: TimeInterval = 120) {
    precondition(size >= 1, "a group needs at least one rank")
    self.size = size
    self.timeout = timeout
    deposits = Array(repeating: nil, count: size)
  }

  /// Rank `rank`'s communicator.
  public func communicator(rank: Int) -> InProcessCommunicator {
    precondition(rank >= 0 && rank < size, "rank \(rank) outside 0..<\(size)")
    return InProcessCommunicator(group: self, rank: rank)
  }

  /// Ends the group: every rank's waiting and later collectives throw an error quoting `message`.
  public func fail(_ message: String) {
    condition.lock()
    if failure == nil { failure = message }
    condition.broadcast()
    condition.unlock()
  }

  /// Every rank's payload for one collective, in rank order.
  func exchange(rank: Int, operation: String, payload: Any) throws -> [Any] {
    condition.lock()
    defer { condition.unlock() }
    if let failure { throw CommunicatorError("rank \(rank): \(operation): the group failed: \(failure)") }
    let myRound = round
    deposits[rank] = (operation, payload)
    if deposits.allSatisfy({ $0 != nil }) {
      published = deposits.map { $0! }
      deposits = Array(repeating: nil, count: size)
      round += 1
      condition.broadcast()
    } else {
      let deadline = Date(timeIntervalSinceNow: timeout)
      while round == myRound && failure == nil {
        if !condition.wait(until: deadline) && round == myRound {
          let missing = deposits.indices.filter { deposits[$0] == nil }
          failure = "rank \(rank) waited \(Int(timeout)) s in \(operation) for rank(s) \(missing), which never arrived"
          condition.broadcast()
        }
      }
      if round == myRound, let failure { throw CommunicatorError("rank \(rank): \(operation): \(failure)") }
    }
    if let mismatch = published.enumerated().first(where: { $0.element.operation != operation }) {
      throw CommunicatorError(
        "rank \(rank): called \(operation) while rank \(mismatch.offset) called \(mismatch.element.operation): ranks must run the same collectives in the same order")
    }
    return published.map(\.payload)
  }
}

/// One rank of an `InProcessGroup`.
public final class InProcessCommunicator: Communicator, @unchecked Sendable {
  public let rank: Int
  public var size: Int { group.size }
  /// The group this rank belongs to.
  public let group: InProcessGroup

  init(group: InProcessGroup, rank: Int) {
    self.group = group
    self.rank = rank
  }

  public func allreduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) throws {
    try reduce(values, operation, "allreduce")
  }

  public func allreduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) throws {
    try reduce(values, operation, "allreduce")
  }

  private func reduce<T: BinaryFloatingPoint>(_ values: UnsafeMutableBufferPointer<T>, _ operation: ReduceOperation, _ name: String) throws {
    let all = try group.exchange(rank: rank, operation: "\(name)(\(T.self) x \(values.count))", payload: Array(values))
      .map { $0 as! [T] }
    for i in values.indices {
      var total: T = 0
      for contribution in all { total += contribution[i] }
      values[i] = operation == .average ? total / T(size) : total
    }
  }

  public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) throws {
    try checkRoot(root, "broadcast")
    let all = try group.exchange(rank: rank, operation: "broadcast(Float x \(values.count) from \(root))", payload: Array(values))
    let source = all[root] as! [Float]
    for i in values.indices { values[i] = source[i] }
  }

  public func broadcast(_ bytes: inout [UInt8], root: Int) throws {
    try checkRoot(root, "broadcast")
    let all = try group.exchange(rank: rank, operation: "broadcast(bytes from \(root))", payload: bytes)
    bytes = all[root] as! [UInt8]
  }

  public func allgather(_ values: [Float]) throws -> [[Float]] {
    try group.exchange(rank: rank, operation: "allgather", payload: values).map { $0 as! [Float] }
  }

  public func barrier() throws {
    _ = try group.exchange(rank: rank, operation: "barrier", payload: ())
  }
}
