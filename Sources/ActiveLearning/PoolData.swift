import AstroIO
import AstroTensor

/// The unlabelled samples active learning scores and picks from, addressed by position `0..<count`.
///
/// Positions are the pool's own; a caller that keeps items under other ids (candids, file names) maps them
/// once, so a selection never mixes pool positions with dataset ids (a known fault of several libraries).
public protocol PoolData: Sendable {
  /// Samples in the pool.
  var count: Int { get }
  /// The per-sample shape of each model input, in the model's input order.
  var sampleShapes: [[Int]] { get }
  /// The samples at `indices`, in that order: one batch `[indices.count] + sampleShapes[i]` per input.
  func samples(at indices: [Int]) throws -> [Tensor]
}

/// Errors of active learning; each names the pool, model or strategy at fault.
public enum ActiveLearningError: Error, CustomStringConvertible, Equatable {
  case pool(String)
  case model(String)
  case strategy(String)

  public var description: String {
    switch self {
    case .pool(let message): return "pool: \(message)"
    case .model(let message): return "model: \(message)"
    case .strategy(let message): return "strategy: \(message)"
    }
  }
}

/// A pool held in memory: one tensor per model input, samples along the first axis.
public struct TensorPool: PoolData {
  public let inputs: [Tensor]

  /// Throws unless every input has the same number of samples.
  public init(_ inputs: [Tensor]) throws {
    guard let first = inputs.first, first.rank >= 1 else { throw ActiveLearningError.pool("no input tensors") }
    if let bad = inputs.first(where: { $0.rank < 1 || $0.shape[0] != first.shape[0] }) {
      throw ActiveLearningError.pool("inputs of \(bad.shape) and \(first.shape) hold different sample counts")
    }
    self.inputs = inputs
  }

  public var count: Int { inputs[0].shape[0] }
  public var sampleShapes: [[Int]] { inputs.map { Array($0.shape.dropFirst()) } }

  public func samples(at indices: [Int]) throws -> [Tensor] {
    try inputs.map { try $0.gathering(indices) }
  }
}

/// A pool in `.npy` files on disk (one per model input, samples along the first axis), memory-mapped and read
/// only where asked: pools far larger than memory can be scored a chunk at a time. Any dtype `.npy` supports is
/// read as float32.
public struct NpyPool: PoolData {
  private let files: [MappedNpyFile]

  /// Maps `paths` (one per model input); throws, naming the file, when one cannot be read or they hold
  /// different sample counts.
  public init(paths: [String]) throws {
    guard !paths.isEmpty else { throw ActiveLearningError.pool("no .npy files") }
    files = try paths.map { try MappedNpyFile(path: $0) }
    if let bad = files.first(where: { $0.shape.isEmpty || $0.rowCount != files[0].rowCount }) {
      throw ActiveLearningError.pool("\(bad.path) holds shape \(bad.shape), \(files[0].path) holds \(files[0].shape)")
    }
  }

  public var count: Int { files[0].rowCount }
  public var sampleShapes: [[Int]] { files.map(\.rowShape) }

  public func samples(at indices: [Int]) throws -> [Tensor] {
    try files.map { file in
      var values = [Float]()
      values.reserveCapacity(indices.count * file.rowElements)
      // Consecutive positions are read as one run (a whole chunk of a sequential scan is one read).
      var start = 0
      while start < indices.count {
        var end = start + 1
        while end < indices.count, indices[end] == indices[end - 1] + 1 { end += 1 }
        values += try file.floats(rows: indices[start]..<(indices[end - 1] + 1))
        start = end
      }
      return try Tensor(shape: [indices.count] + file.rowShape, values: values)
    }
  }
}
