import ActiveLearning
import ArgumentParser
import AstroIO
import AstroNN
import AstroTensor
import Foundation
import SyntheticData

struct ActiveLearningCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "al", abstract: "Active learning: simulate label savings of acquisition strategies.",
    subcommands: [Simulate.self])
}

struct Simulate: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure label savings against random sampling with a simulated oracle.",
    discussion: """
      Per seed (all derived from --master-seed): the data are split at random into a pool and a held-out test set \
      that is never queried; every strategy starts from the same random initial labels; each round trains a model \
      from re-initialised weights (or --warm-start), scores it on the test set, and adds --batch labels chosen by the \
      strategy. Writes OUT/report.json, OUT/report.md and PNG learning curves with 95% bands.
      Strategies: \(AcquisitionStrategy.names.joined(separator: ", ")).
      Data: generated ZTF-like triplets (--positive-fraction, --duplicates and --label-noise make the variants), or \
      --data DIR holding braai's layout DIR/triplets.<stamp>.npy and DIR/labels.<stamp>.npy (--stamp).
      """)

  @Option(help: "Comma-separated strategies; must include random.")
  var strategies = "random,uncertainty,bald"
  @Option(help: "Seeds (each its own split, initial set and weights).")
  var seeds = 10
  @Option(help: "The seed every seed derives from.")
  var masterSeed: UInt64 = 2026
  @Option(help: "Pool size (queryable samples).")
  var pool = 3000
  @Option(help: "Held-out test set size.")
  var test = 2000
  @Option(help: "Initial random labels (both classes).")
  var initial = 20
  @Option(help: "Labels added per round.")
  var batch = 20
  @Option(help: "Rounds of acquisition.")
  var rounds = 10
  @Option(help: "Gradient steps of each round's training.")
  var steps = 300
  @Option(help: "Adam learning rate.")
  var learningRate: Float = 1e-3
  @Option(help: "Model: small (a compact CNN with dropout) or vgg6 (braai's).")
  var model = "small"
  @Option(help: "Centre crop of the cutouts in pixels (0: the whole cutout).")
  var crop = 31
  @Option(help: "Monte-Carlo passes for bald and power-bald.")
  var passes = 20
  @Flag(help: "Continue each round from the previous weights instead of re-initialising them.")
  var warmStart = false
  @Flag(help: "Random flips while training (never while scoring the pool).")
  var flips = false
  @Option(help: "A folder with braai's layout (triplets.<stamp>.npy, labels.<stamp>.npy) instead of generated triplets.")
  var data: String?
  @Option(help: "The file stamp of --data.")
  var stamp = "train"
  @Option(help: "Generated data: fraction of real (positive) samples.")
  var positiveFraction = 2.0 / 3.0
  @Option(help: "Generated data: fraction of the samples replaced by near-duplicates (copies plus 1% noise) of others.")
  var duplicates = 0.0
  @Option(help: "Fraction of the oracle's answers flipped (label noise; the test set keeps true labels).")
  var labelNoise = 0.0
  @Option(help: "Output folder.")
  var out: String

  func validate() throws {
    guard ["small", "vgg6"].contains(model) else { throw ValidationError("--model must be small or vgg6") }
    guard (0...1).contains(duplicates), (0..<0.5).contains(labelNoise), positiveFraction > 0, positiveFraction < 1 else {
      throw ValidationError("--duplicates must be in [0, 1], --label-noise in [0, 0.5), --positive-fraction in (0, 1)")
    }
    guard crop >= 0 else { throw ValidationError("--crop must be at least 0") }
  }

  func run() throws {
    let names = strategies.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
    let settings = SimulationSettings(
      strategies: names, seeds: seeds, masterSeed: masterSeed, poolSize: pool, testSize: test, initialLabels: initial,
      batchSize: batch, rounds: rounds, trainingSteps: steps, learningRate: learningRate, warmStart: warmStart, flips: flips,
      monteCarloPasses: passes)
    let dataset = try loadData(count: pool + test)
    let shape = Array(dataset.inputs[0].shape.dropFirst())
    let simulation = try ActiveLearningSimulation(settings: settings, data: dataset) { seed in
      model == "vgg6" ? try VGG6.make(inputShape: shape, seed: seed) : try Self.smallModel(inputShape: shape, seed: seed)
    }
    let start = Date()
    let report = try simulation.run { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    for path in try report.write(to: out) { print(path) }
    print(String(format: "%.0f s", Date().timeIntervalSince(start)))
  }

  /// A compact CNN with dropout after the convolutions and before the output (BALD needs dropout).
  static func smallModel(inputShape: [Int], seed: UInt64) throws -> Model {
    try ModelBuilder.sequential(name: "al_small", inputShape: inputShape, seed: seed, [
      Conv2D(16, kernelSize: (3, 3), activation: .relu), MaxPooling2D((2, 2)),
      Conv2D(32, kernelSize: (3, 3), activation: .relu), MaxPooling2D((2, 2)), Dropout(0.25),
      Flatten(), Dense(64, activation: .relu), Dropout(0.5), Dense(1, activation: .sigmoid),
    ])
  }

  func loadData(count: Int) throws -> SimulationData {
    var values: [Float], labels: [Int], side: Int, channels: Int, description: String
    var generator = SeededGenerator(seed: masterSeed ^ 0x5EED)
    if let data {
      let folder = URL(fileURLWithPath: data)
      let x = try NpyArray.read(path: folder.appendingPathComponent("triplets.\(stamp).npy").path)
      let y = try NpyArray.read(path: folder.appendingPathComponent("labels.\(stamp).npy").path)
      guard x.shape.count == 4, x.shape[1] == x.shape[2], y.shape == [x.shape[0]] else {
        throw ValidationError("\(data): triplets \(x.shape) and labels \(y.shape) are not (N, S, S, C) and (N,)")
      }
      guard x.shape[0] >= count else { throw ValidationError("\(data) holds \(x.shape[0]) samples; --pool + --test is \(count)") }
      (values, side, channels) = (x.floats(), x.shape[1], x.shape[3])
      labels = y.floats().map { $0 >= 0.5 ? 1 : 0 }
      description = "\(data) (stamp \(stamp), \(x.shape[0]) samples)"
    } else {
      var configuration = ZTFTripletConfiguration()
      configuration.realFraction = positiveFraction
      let generated = try ZTFTripletGenerator(configuration: configuration).generate(count: count, seed: masterSeed)
      (values, side, channels) = (generated.triplets, configuration.size, 3)
      labels = generated.labels.map { $0 >= 0.5 ? 1 : 0 }
      description = String(format: "generated ZTF-like triplets (%.0f%% real", 100 * positiveFraction)
      if duplicates > 0 {
        // Near-duplicates: a fraction of the samples replaced by a copy of another plus 1% noise, label kept.
        let per = side * side * channels, n = labels.count
        for _ in 0..<Int(duplicates * Double(n)) {
          let target = Int(generator.next() % UInt64(n)), source = Int(generator.next() % UInt64(n))
          guard target != source else { continue }
          for k in 0..<per { values[target * per + k] = values[source * per + k] * (1 + 0.01 * generator.nextNormal()) }
          labels[target] = labels[source]
        }
        description += String(format: ", %.0f%% near-duplicates", 100 * duplicates)
      }
      description += ")"
    }
    let n = labels.count
    var oracle: [Int]?
    if labelNoise > 0 {
      oracle = labels.map { generator.nextUnitFloat() < Float(labelNoise) ? 1 - $0 : $0 }
      description += String(format: ", %.0f%% of oracle answers flipped", 100 * labelNoise)
    }
    var kept = side
    if crop > 0 && crop < side {
      kept = crop
      let offset = (side - crop) / 2
      var cropped = [Float]()
      cropped.reserveCapacity(n * crop * crop * channels)
      for s in 0..<n {
        for y in offset..<(offset + crop) {
          let row = ((s * side + y) * side + offset) * channels
          cropped += values[row..<(row + crop * channels)]
        }
      }
      values = cropped
      description += ", centre \(crop)×\(crop) crop"
    }
    return try SimulationData(inputs: [try Tensor(shape: [n, kept, kept, channels], values: values)], labels: labels,
                              oracleLabels: oracle, description: description)
  }
}
