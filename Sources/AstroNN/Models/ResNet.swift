import AstroTensor

/// ResNets as DeepStreaks builds them (Keras' classic `resnet50.py` blocks, BatchNormalization momentum 0.2,
/// shortcut BatchNormalization momentum 0.1), with DeepStreaks' layer names (`conv1`, `bn_conv1`,
/// `res2a_branch2a`, `bn2a_branch2a`, `res2a_branch1`, ..., `avg_pool`, `fcOUT`).
///
/// Stem: ZeroPadding 3, 7×7/2 conv 64, BN, ReLU, 3×3/2 max pool. Head: 2×2 average pool, flatten,
/// dense 1 sigmoid. ResNet50 at 144×144×1 has 17,386,753 parameters.
public enum ResNet {
  /// DeepStreaks' ResNet50: bottleneck blocks, stages of 3, 4, 6, 3 blocks with filters
  /// (64, 64, 256), (128, 128, 512), (256, 256, 512), (512, 512, 1024).
  public static func resnet50(inputShape: [Int] = [144, 144, 1], seed: UInt64 = 0) throws -> Model {
    let stages: [(filters: [Int], blocks: Int, stride: Int)] = [
      ([64, 64, 256], 3, 1), ([128, 128, 512], 4, 2), ([256, 256, 512], 6, 2), ([512, 512, 1024], 3, 2),
    ]
    return try make(name: "ResNet50", inputShape: inputShape, seed: seed, stages: stages)
  }

  /// braai's ResNet18: ResNet50's bottleneck blocks and filters with two blocks per stage (a conv block
  /// and one identity block), as `braai.py` defines it.
  public static func resnet18(inputShape: [Int] = [144, 144, 1], seed: UInt64 = 0) throws -> Model {
    let stages: [(filters: [Int], blocks: Int, stride: Int)] = [
      ([64, 64, 256], 2, 1), ([128, 128, 512], 2, 2), ([256, 256, 512], 2, 2), ([512, 512, 1024], 2, 2),
    ]
    return try make(name: "ResNet18", inputShape: inputShape, seed: seed, stages: stages)
  }

  /// A ResNet of this family with any stages: three filter counts per stage make bottleneck blocks,
  /// two make basic blocks.
  public static func make(
    name: String, inputShape: [Int], seed: UInt64 = 0, stemFilters: Int = 64,
    stages: [(filters: [Int], blocks: Int, stride: Int)]
  ) throws -> Model {
    let b = ModelBuilder(name: name, inputShape: inputShape, seed: seed)
    var x = try b(ZeroPadding2D(3, name: "zero_padding2d_1"), b.input)
    x = try b(Conv2D(stemFilters, kernelSize: (7, 7), strides: (2, 2), name: "conv1"), x)
    x = try b(BatchNormalization(momentum: 0.2, name: "bn_conv1"), x)
    x = try b(ActivationLayer(.relu), x)
    x = try b(MaxPooling2D((3, 3), strides: (2, 2), name: "max_pooling2d_1"), x)
    for (i, stage) in stages.enumerated() {
      for block in 0..<stage.blocks {
        let label = "\(i + 2)\(Character(UnicodeScalar(UInt8(97 + block))))"
        // The first block of a stage projects its shortcut when the shape changes (always, for bottlenecks).
        let stride = block == 0 ? stage.stride : 1
        let projection = block == 0 && (stride != 1 || x.shape[2] != stage.filters.last!)
        x = try residualBlock(b, x, filters: stage.filters, stride: stride, projection: projection, label: label)
      }
    }
    x = try b(AveragePooling2D((2, 2), name: "avg_pool"), x)
    x = try b(Flatten(), x)
    x = try b(Dense(1, activation: .sigmoid, name: "fcOUT"), x)
    return try b.model(output: x)
  }

  /// One block: 1×1/3×3/1×1 bottleneck when three filter counts are given, two 3×3 convolutions when two.
  /// Layers are added in DeepStreaks' order (the shortcut conv before the last main-branch conv), which is
  /// the order Keras lists them and pairs weights by.
  static func residualBlock(
    _ b: ModelBuilder, _ input: Symbol, filters: [Int], stride: Int, projection: Bool, label: String
  ) throws -> Symbol {
    let bottleneck = filters.count == 3
    let s = (stride, stride)
    var x = input
    if bottleneck {
      x = try b(Conv2D(filters[0], kernelSize: (1, 1), strides: s, name: "res\(label)_branch2a"), x)
      x = try b(BatchNormalization(momentum: 0.2, name: "bn\(label)_branch2a"), x)
      x = try b(ActivationLayer(.relu), x)
      x = try b(Conv2D(filters[1], kernelSize: (3, 3), padding: .same, name: "res\(label)_branch2b"), x)
      x = try b(BatchNormalization(momentum: 0.2, name: "bn\(label)_branch2b"), x)
      x = try b(ActivationLayer(.relu), x)
    } else {
      x = try b(Conv2D(filters[0], kernelSize: (3, 3), strides: s, padding: .same, name: "res\(label)_branch2a"), x)
      x = try b(BatchNormalization(momentum: 0.2, name: "bn\(label)_branch2a"), x)
      x = try b(ActivationLayer(.relu), x)
    }
    let last = bottleneck ? "2c" : "2b"
    var shortcut = input
    if projection {
      shortcut = try b(Conv2D(filters.last!, kernelSize: (1, 1), strides: s, name: "res\(label)_branch1"), input)
    }
    x = try b(Conv2D(filters.last!, kernelSize: bottleneck ? (1, 1) : (3, 3), padding: .same, name: "res\(label)_branch\(last)"), x)
    if projection {
      shortcut = try b(BatchNormalization(momentum: 0.1, name: "bn\(label)_branch1"), shortcut)
    }
    x = try b(BatchNormalization(momentum: 0.2, name: "bn\(label)_branch\(last)"), x)
    x = try b(Add(), shortcut, x)
    return try b(ActivationLayer(.relu), x)
  }
}
