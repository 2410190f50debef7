/// Starting a training run from published weights, as ZTF users fine-tune braai's d6_m7 on new labels.
public enum FineTuning {
  /// Loads `initialWeights` (Keras `.h5`) into `model` when given, and freezes its convolutional layers
  /// when `freezeConvolutions` is set (only the dense head then trains; frozen BatchNormalization layers keep
  /// their moving statistics).
  public static func prepare(_ model: Model, initialWeights: String?, freezeConvolutions: Bool) throws {
    if let initialWeights { try model.loadKerasWeights(from: initialWeights) }
    guard freezeConvolutions else { return }
    var froze = 0
    for layer in model.layers where layer is Conv2D || layer is BatchNormalization {
      layer.trainable = false
      froze += 1
    }
    guard froze > 0 else { throw NNError.model("\(model.name): --freeze-conv, but the model has no convolutional layers") }
  }
}
