import Foundation

/// How `allreduce` combines the ranks' values, element by element.
public enum ReduceOperation: Sendable {
  /// The sum over ranks.
  case sum
  /// The sum over ranks divided by the number of ranks.
  case average
}

/// A collective operation failed: a rank died or hangs (timeout), the ranks disagree on sizes, or the transport
/// reported an error. The message names the operation and the rank.
public struct CommunicatorError: Error, CustomStringConvertible {
  /// The message, naming the collective and the rank that saw the failure.
  public let description: String

  /// An error with `description`.
  public init(_ description: String) { self.description = description }
}

/// A group of processes (or threads) that run the same program on different data and meet in collective
/// operations, as MPI communicators and Horovod do.
///
/// Every rank must call the same collectives in the same order with the same sizes; each call blocks until
/// all ranks have reached it (or the communicator's timeout passes: the in-process group throws, MPI ends the job). The
/// results are the same on every rank.
public protocol Communicator: AnyObject, Sendable {
  /// This process's place in the group, `0..<size`. Rank 0 writes files and prints.
  var rank: Int { get }
  /// The number of ranks.
  var size: Int { get }
  /// Replaces `values` on every rank by their element-wise reduction over the ranks. All ranks pass the same count.
  func allreduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) throws
  /// As the `Float` version, in double precision (loss sums and counts).
  func allreduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) throws
  /// Copies rank `root`'s `values` to every rank. All ranks pass the same count.
  func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) throws
  /// Copies rank `root`'s bytes to every rank; the other ranks' `bytes` are replaced (any count).
  func broadcast(_ bytes: inout [UInt8], root: Int) throws
  /// Every rank's `values` (counts may differ), in rank order.
  func allgather(_ values: [Float]) throws -> [[Float]]
  /// Returns once every rank has called it.
  func barrier() throws
}

extension Communicator {
  /// `values` reduced over the ranks.
  public func allreduce(_ values: [Float], _ operation: ReduceOperation = .sum) throws -> [Float] {
    var out = values
    try out.withUnsafeMutableBufferPointer { try allreduce($0, operation) }
    return out
  }

  /// `values` reduced over the ranks, in double precision.
  public func allreduce(_ values: [Double], _ operation: ReduceOperation = .sum) throws -> [Double] {
    var out = values
    try out.withUnsafeMutableBufferPointer { try allreduce($0, operation) }
    return out
  }

  /// Rank `root`'s `values` on every rank.
  public func broadcast(_ values: [Float], root: Int = 0) throws -> [Float] {
    var out = values
    try out.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
    return out
  }

  /// Rank `root`'s value, encoded as JSON, on every rank (run state, histories, names).
  public func broadcastCodable<T: Codable>(_ value: T, root: Int = 0) throws -> T {
    var bytes = rank == root ? [UInt8](try JSONEncoder().encode(value)) : []
    try broadcast(&bytes, root: root)
    do {
      return try JSONDecoder().decode(T.self, from: Data(bytes))
    } catch {
      throw CommunicatorError("rank \(rank): broadcast from rank \(root): undecodable \(T.self): \(error)")
    }
  }

  /// Throws unless `root` names a member of the group (for implementations' broadcasts).
  public func checkRoot(_ root: Int, _ operation: String) throws {
    guard root >= 0 && root < size else { throw CommunicatorError("\(operation): root \(root) outside 0..<\(size)") }
  }
}

/// One process alone: every collective returns its input. What training uses when it is not distributed.
public final class SingleProcessCommunicator: Communicator {
  public var rank: Int { 0 }
  public var size: Int { 1 }

  /// The communicator of a group of one.
  public init() {}

  public func allreduce(_ values: UnsafeMutableBufferPointer<Float>, _ operation: ReduceOperation) throws {}
  public func allreduce(_ values: UnsafeMutableBufferPointer<Double>, _ operation: ReduceOperation) throws {}
  public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int) throws { try checkRoot(root, "broadcast") }
  public func broadcast(_ bytes: inout [UInt8], root: Int) throws { try checkRoot(root, "broadcast") }
  public func allgather(_ values: [Float]) throws -> [[Float]] { [values] }
  public func barrier() throws {}
}
