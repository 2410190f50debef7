import AstroDistributed
import AstroTensor
import Foundation

extension Trainer {
  /// Makes every rank's trainer equal to rank `root`'s: all weights (moving statistics included), the
  /// optimizer's state, the history and early-stopping state, and the learning rate. Run at the start of a
  /// data-parallel fit, fresh or resumed, so a resumed run may use another number of ranks than the one that
  /// wrote the checkpoint.
  func broadcastState(from root: Int, _ communicator: Communicator) throws {
    try broadcastTensors(model.weights, from: root, communicator)
    let parameters = model.trainableWeights
    struct Header: Codable {
      var state: RunState
      var optimizerTensors: [String: [Int]]
      var hasBestWeights: Bool
    }
    let local = optimizer.stateTensors(for: parameters)
    let header = try communicator.broadcastCodable(
      Header(
        state: RunState(history: history, optimizer: String(describing: type(of: optimizer)), learningRate: optimizer.learningRate),
        optimizerTensors: Dictionary(local.map { ($0.name, $0.tensor.shape) }, uniquingKeysWith: { a, _ in a }),
        hasBestWeights: bestWeights != nil), root: root)
    let kind = String(describing: type(of: optimizer))
    guard header.state.optimizer == kind else {
      throw NNError.model("rank \(communicator.rank): rank \(root) trains with \(header.state.optimizer), this rank with \(kind)")
    }
    // Rank 0's state tensors, in a fixed order; the other ranks receive into tensors of the same shapes.
    let mine = Dictionary(local.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    let names = header.optimizerTensors.keys.sorted()
    let state = names.map { communicator.rank == root ? mine[$0]! : Tensor(repeating: 0, shape: header.optimizerTensors[$0]!) }
    try broadcastTensors(state, from: root, communicator)
    try optimizer.restoreState(Dictionary(uniqueKeysWithValues: zip(names, state)), for: parameters)
    optimizer.learningRate = header.state.learningRate
    history = header.state.history
    if header.hasBestWeights {
      let best = try model.weights.enumerated().map { i, w in
        try bestWeights.map { try Tensor(shape: w.shape, values: $0[i]) } ?? Tensor(repeating: 0, shape: w.shape)
      }
      try broadcastTensors(best, from: root, communicator)
      bestWeights = best.map(\.values)
    } else {
      bestWeights = nil
    }
  }

  /// Throws on every rank unless every rank trains the same run (sample counts, batch size, epochs, options,
  /// model): ranks that disagree would issue different collectives and hang or mix their data.
  func checkSameRun(on communicator: Communicator, train: Dataset, validation: Dataset?) throws {
    let c = configuration
    let mine = [
      "training samples \(train.count)", "validation samples \(validation?.count ?? 0)", "batch size \(c.batchSize)",
      "epochs \(c.epochs)", "seed \(c.seed)", "micro-batch \(c.microBatchSize.map(String.init) ?? "none")",
      "synchronised batch normalisation \(c.synchronizedBatchNormalization)", "metrics \(c.metrics.map(\.rawValue))",
      "model '\(model.name)' with \(model.weights.map(\.count).reduce(0, +)) weights",
    ]
    let root = try communicator.broadcastCodable(mine, root: 0)
    let differences = zip(mine, root).filter { $0 != $1 }.map { "rank \(communicator.rank): \($0), rank 0: \($1)" }
    // Every rank learns every rank's differences, so whichever rank reports first names them all.
    var all: [String] = []
    for rank in 0..<communicator.size {
      all += try communicator.broadcastCodable(rank == communicator.rank ? differences : [], root: rank)
    }
    guard all.isEmpty else {
      throw NNError.model("the ranks do not train the same run (same data and options needed): \(all.joined(separator: "; "))")
    }
  }

  /// Copies rank `root`'s values of `tensors` into every rank's (one collective for all of them).
  func broadcastTensors(_ tensors: [Tensor], from root: Int, _ communicator: Communicator) throws {
    let total = tensors.reduce(0) { $0 + $1.count }
    guard total > 0 else { return }
    var flat: [Float] = []
    flat.reserveCapacity(total)
    for w in tensors { flat += UnsafeBufferPointer(start: w.storage.pointer, count: w.count) }
    try flat.withUnsafeMutableBufferPointer { try communicator.broadcast($0, root: root) }
    var offset = 0
    for w in tensors {
      flat.withUnsafeBufferPointer { w.storage.pointer.update(from: $0.baseAddress! + offset, count: w.count) }
      offset += w.count
    }
  }
}
