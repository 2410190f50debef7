import ArgumentParser
import Foundation
import SyntheticData

struct TripletsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "triplets",
    abstract: "ZTF-like 63x63x3 triplets (science, template, difference) with real/bogus labels.",
    discussion: """
      Writes triplets.<stamp>.npy (N,63,63,3) float32, labels.<stamp>.npy (N,) float32 (1 real, 0 bogus), \
      candids.<stamp>.npy (N,) int64 and kinds.<stamp>.txt. Cutouts are row-L2-normalised as braai's \
      training data were, unless --raw.
      """)

  @OptionGroup var common: CommonOptions

  @Flag(help: "Write detector counts (NaN off the chip) instead of braai's row-normalised cutouts.")
  var raw = false

  func run() throws {
    var configuration = ZTFTripletConfiguration()
    if let fraction = common.realFraction { configuration.realFraction = fraction }
    let generator = try ZTFTripletGenerator(configuration: configuration)
    let start = Date()
    let output = try generator.generate(
      count: common.count, seed: common.seed, normalization: raw ? .raw : .row, threads: common.threads)
    let generated = Date()
    let files = try SyntheticDatasetFiles.writeTriplets(
      output, size: configuration.size, folder: common.out, stamp: common.resolvedStamp)
    let reals = output.labels.filter { $0 == 1 }.count
    report(
      files: files, generation: generated.timeIntervalSince(start), writing: Date().timeIntervalSince(generated), count: common.count,
      classes: [("real (1)", reals), ("bogus (0)", common.count - reals)], kinds: output.kinds)
  }
}
