import AstroTensor

/// braai's VGG6 (the real/bogus classifier in ZTF production; also a DeepStreaks member):
/// two 3×3×16 convolutions, 2×2 max pool, dropout 0.25, two 3×3×32 convolutions, 4×4 max pool,
/// dropout 0.25, flatten, dense 256 ReLU, dropout 0.5, dense 1 sigmoid. Layer names are braai's
/// (`conv1`…`conv4`, `fc_1`, `fc_out`). At 63×63×3 it has 312,081 parameters.
public enum VGG6 {
  /// - Parameters:
  ///   - seed: seeds the initial weights.
  ///   - inputShape: `[63, 63, 3]` for braai triplets, `[144, 144, 1]` for DeepStreaks.
  ///   - dropout: false builds it without the Dropout layers (deterministic training steps).
  public static func make(inputShape: [Int] = [63, 63, 3], dropout: Bool = true, seed: UInt64 = 0) throws -> Model {
    var layers: [Layer] = [
      Conv2D(16, kernelSize: (3, 3), activation: .relu, name: "conv1"),
      Conv2D(16, kernelSize: (3, 3), activation: .relu, name: "conv2"),
      MaxPooling2D((2, 2), name: "max_pooling2d"),
      Dropout(0.25, name: "dropout"),
      Conv2D(32, kernelSize: (3, 3), activation: .relu, name: "conv3"),
      Conv2D(32, kernelSize: (3, 3), activation: .relu, name: "conv4"),
      MaxPooling2D((4, 4), name: "max_pooling2d_1"),
      Dropout(0.25, name: "dropout_1"),
      Flatten(name: "flatten"),
      Dense(256, activation: .relu, name: "fc_1"),
      Dropout(0.5, name: "dropout_2"),
      Dense(1, activation: .sigmoid, name: "fc_out"),
    ]
    if !dropout { layers.removeAll { $0 is Dropout } }
    return try ModelBuilder.sequential(name: "VGG6", inputShape: inputShape, seed: seed, layers)
  }
}
