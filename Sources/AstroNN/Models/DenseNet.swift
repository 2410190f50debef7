import AstroTensor

/// DenseNet121 as DeepStreaks builds it (Keras Applications' structure, BatchNormalization momentum 0.2,
/// epsilon 1.001e-5, layer names `conv1/conv`, `conv2_block1_0_bn`, `pool2_conv`, ..., `fc_out`).
///
/// Stem: ZeroPadding 3, 7×7/2 conv 64 (no bias), BN, ReLU, ZeroPadding 1, 3×3/2 max pool. Dense blocks of
/// 6, 12, 24, 16 layers (BN, ReLU, 1×1 conv 4·growth, BN, ReLU, 3×3 conv growth, concatenate), transitions
/// halving the channels with a 1×1 conv and 2×2 average pool. Head: BN, ReLU, global average pool,
/// dense 1 sigmoid. At 144×144×1 it has 7,032,257 parameters.
public enum DenseNet {
  /// DeepStreaks' DenseNet121: blocks of 6, 12, 24, 16 layers, growth 32, 64 stem filters, one sigmoid output.
  public static func densenet121(inputShape: [Int] = [144, 144, 1], seed: UInt64 = 0) throws -> Model {
    try make(name: "DenseNet121", inputShape: inputShape, blocks: [6, 12, 24, 16], growth: 32, stemFilters: 64, seed: seed)
  }

  /// A DenseNet of the same structure with other block sizes and widths.
  public static func make(
    name: String, inputShape: [Int], blocks: [Int], growth: Int, stemFilters: Int, seed: UInt64 = 0
  ) throws -> Model {
    let b = ModelBuilder(name: name, inputShape: inputShape, seed: seed)
    func bn(_ name: String) -> BatchNormalization { BatchNormalization(momentum: 0.2, epsilon: 1.001e-5, name: name) }
    var x = try b(ZeroPadding2D(3, name: "zero_padding2d_1"), b.input)
    x = try b(Conv2D(stemFilters, kernelSize: (7, 7), strides: (2, 2), useBias: false, name: "conv1/conv"), x)
    x = try b(bn("conv1/bn"), x)
    x = try b(ActivationLayer(.relu, name: "conv1/relu"), x)
    x = try b(ZeroPadding2D(1, name: "zero_padding2d_2"), x)
    x = try b(MaxPooling2D((3, 3), strides: (2, 2), name: "pool1"), x)
    for (i, count) in blocks.enumerated() {
      let stage = i + 2
      for layer in 1...count {
        let p = "conv\(stage)_block\(layer)"
        var y = try b(bn("\(p)_0_bn"), x)
        y = try b(ActivationLayer(.relu, name: "\(p)_0_relu"), y)
        y = try b(Conv2D(4 * growth, kernelSize: (1, 1), useBias: false, name: "\(p)_1_conv"), y)
        y = try b(bn("\(p)_1_bn"), y)
        y = try b(ActivationLayer(.relu, name: "\(p)_1_relu"), y)
        y = try b(Conv2D(growth, kernelSize: (3, 3), padding: .same, useBias: false, name: "\(p)_2_conv"), y)
        x = try b(Concatenate(name: "\(p)_concat"), x, y)
      }
      if i < blocks.count - 1 {
        let p = "pool\(stage)"
        x = try b(bn("\(p)_bn"), x)
        x = try b(ActivationLayer(.relu, name: "\(p)_relu"), x)
        x = try b(Conv2D(x.shape[2] / 2, kernelSize: (1, 1), useBias: false, name: "\(p)_conv"), x)
        x = try b(AveragePooling2D((2, 2), strides: (2, 2), name: "\(p)_pool"), x)
      }
    }
    x = try b(bn("bn"), x)
    x = try b(ActivationLayer(.relu, name: "relu"), x)
    x = try b(GlobalAveragePooling2D(name: "avg_pool"), x)
    x = try b(Dense(1, activation: .sigmoid, name: "fc_out"), x)
    return try b.model(output: x)
  }
}
