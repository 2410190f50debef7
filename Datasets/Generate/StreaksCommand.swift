import ArgumentParser
import Foundation
import SyntheticData

struct StreaksCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "streaks",
    abstract: "DeepStreaks-like 144x144x1 cutouts with rb, sl and kd labels.",
    discussion: """
      Writes streaks.<stamp>.npy (N,144,144,1) float32, labels_rb/labels_sl/labels_kd.<stamp>.npy (N,) float32, \
      mask_slkd.<stamp>.npy (N,) uint8 (1 where sl/kd apply: the real streaks), ids.<stamp>.npy (N,) int64, \
      lengths.<stamp>.npy (N,) float32 and kinds.<stamp>.txt. Pixels are in [0,1] (8-bit steps) unless --raw. \
      For an sl or kd training set, use --real-fraction 1 so every sample has those labels.
      """)

  @OptionGroup var common: CommonOptions

  @Option(help: "Probability that a real streak is a clean 'keep' streak (kd = 1).")
  var keepFraction: Double?

  @Option(help: "Probability that a real streak is short (sl = 1).")
  var shortFraction: Double?

  @Flag(help: "Write difference-image counts instead of DeepStreaks' [0,1] grey levels.")
  var raw = false

  func run() throws {
    var configuration = StreakConfiguration()
    if let fraction = common.realFraction { configuration.realFraction = fraction }
    if let keepFraction { configuration.keepFraction = keepFraction }
    if let shortFraction { configuration.shortFraction = shortFraction }
    let generator = try StreakGenerator(configuration: configuration)
    let start = Date()
    let set = try generator.generate(
      count: common.count, seed: common.seed, scaling: raw ? .raw : .unitInterval, threads: common.threads)
    let generated = Date()
    let files = try SyntheticDatasetFiles.writeStreaks(
      set, size: configuration.size, folder: common.out, stamp: common.resolvedStamp)
    func count(_ labels: [Float], where applicable: [Bool]? = nil) -> Int {
      labels.indices.filter { labels[$0] == 1 && (applicable?[$0] ?? true) }.count
    }
    let reals = count(set.labelsRB)
    report(
      files: files, generation: generated.timeIntervalSince(start), writing: Date().timeIntervalSince(generated), count: set.count,
      classes: [
        ("rb real (1)", reals), ("rb bogus (0)", set.count - reals),
        ("sl short (1)", count(set.labelsSL, where: set.slkdApplicable)),
        ("sl long (0)", reals - count(set.labelsSL, where: set.slkdApplicable)),
        ("kd keep (1)", count(set.labelsKD, where: set.slkdApplicable)),
        ("kd ditch (0)", reals - count(set.labelsKD, where: set.slkdApplicable)),
      ],
      kinds: set.kinds)
  }
}
