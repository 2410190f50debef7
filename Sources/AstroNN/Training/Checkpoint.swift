import AstroIO
import AstroTensor
import Foundation

/// Training checkpoints: one HDF5 file in Keras' full-model layout (`/model_weights/...`, which Keras'
/// `load_weights` reads), plus `/optimizer_state/<name>` datasets, the best epoch's weights when they are
/// to be restored, and the run state (history, early stopping) as JSON in the root attribute
/// `astrolearn_training_state`. Written atomically.
extension Trainer {
  static let stateAttribute = "astrolearn_training_state"

  struct RunState: Codable {
    var history: TrainingHistory
    var optimizer: String
    var learningRate: Float
  }

  /// Writes the checkpoint to `path` (temporary file, then rename).
  public func saveCheckpoint(to path: String) throws {
    let parameters = model.trainableWeights
    try HDF5File.writeAtomically(to: path) { file in
      try file.createGroup("/model_weights")
      try model.writeKerasWeights(into: file, group: "/model_weights")
      try file.createGroup("/optimizer_state")
      for (name, tensor) in optimizer.stateTensors(for: parameters) {
        let parent = name.split(separator: "/").dropLast().joined(separator: "/")
        if !parent.isEmpty { try file.createGroup("/optimizer_state/\(parent)") }
        try file.writeFloats("/optimizer_state/\(name)", shape: tensor.shape, values: tensor.values)
      }
      // The best epoch's weights, when they are to be restored at the end, survive a resume too.
      if let best = bestWeights {
        try file.createGroup("/best_weights")
        for (i, (w, values)) in zip(model.weights, best).enumerated() {
          try file.writeFloats("/best_weights/\(i)", shape: w.shape, values: values)
        }
      }
      let state = RunState(history: history, optimizer: String(describing: type(of: optimizer)), learningRate: optimizer.learningRate)
      let json = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
      try file.setStringAttribute(Self.stateAttribute, of: "/", value: json)
    }
  }

  /// Restores weights, optimizer state and run state from a checkpoint written by `saveCheckpoint`.
  func restore(from path: String) throws {
    let file = try HDF5File(path: path, mode: .readOnly)
    guard let json = try file.stringAttribute(Self.stateAttribute, of: "/")?.first,
      let state = try? JSONDecoder().decode(RunState.self, from: Data(json.utf8))
    else { throw NNError.weights(file: path, message: "not a training checkpoint (no readable \(Self.stateAttribute))") }
    let kind = String(describing: type(of: optimizer))
    guard state.optimizer == kind else {
      throw NNError.weights(file: path, message: "checkpoint was written with \(state.optimizer), this run uses \(kind)")
    }
    try model.loadKerasWeights(from: path)
    var tensors: [String: Tensor] = [:]
    try file.walk(from: "/optimizer_state") { path, isGroup in
      guard !isGroup else { return }
      let (shape, values) = try file.readFloats(path)
      tensors[String(path.dropFirst("/optimizer_state/".count))] = try Tensor(shape: shape, values: values)
    }
    try optimizer.restoreState(tensors, for: model.trainableWeights)
    optimizer.learningRate = state.learningRate
    history = state.history
    bestWeights =
      file.isGroup("/best_weights")
      ? try model.weights.indices.map { i in
        try file.readFloats("/best_weights/\(i)", expecting: model.weights[i].shape).values
      } : nil
  }
}
