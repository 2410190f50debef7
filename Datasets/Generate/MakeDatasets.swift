import ArgumentParser
import Foundation
import SyntheticData

struct MakeDatasets: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "make-datasets",
    abstract: "Generate seeded synthetic ZTF-like datasets (braai triplets, DeepStreaks-like streaks) as .npy files.",
    discussion: "The same seed always gives the same files, whatever the number of threads. See Datasets/SYNTHETIC.md.",
    subcommands: [TripletsCommand.self, StreaksCommand.self])
}

/// Options both subcommands share.
struct CommonOptions: ParsableArguments {
  @Option(help: "Number of samples.")
  var count: Int

  @Option(help: "Random seed: sample i of seed s is the same in every run.")
  var seed: UInt64 = 0

  @Option(help: "Output folder (created when missing).")
  var out: String

  @Option(help: "File stamp: files are named <name>.<stamp>.npy (default: synthetic-s<seed>-n<count>).")
  var stamp: String?

  @Option(help: "Probability that a sample is real (rb = 1).")
  var realFraction: Double?

  @Option(help: "Worker threads (default: all cores). The output does not depend on it.")
  var threads: Int?

  var resolvedStamp: String { stamp ?? "synthetic-s\(seed)-n\(count)" }

  func validate() throws {
    guard count >= 0 else { throw ValidationError("--count must be >= 0, got \(count)") }
    if let realFraction, !(0...1).contains(realFraction) {
      throw ValidationError("--real-fraction must be in 0...1, got \(realFraction)")
    }
    if let threads, threads < 1 { throw ValidationError("--threads must be >= 1, got \(threads)") }
    do {
      try SyntheticDatasetFiles.checkStamp(resolvedStamp)
    } catch let error as SyntheticDataError {
      throw ValidationError("--stamp \(error.reason)")
    }
  }
}

/// Prints the files written, then one line per class and per kind with counts and percentages.
func report(files: [String], generation: Double, writing: Double, count: Int, classes: [(String, Int)], kinds: [String]) {
  print(String(format: "generated %d samples in %.2f s, wrote them in %.2f s:", count, generation, writing))
  for file in files { print("  \(file)") }
  func line(_ name: String, _ n: Int) -> String {
    let padded = name.padding(toLength: max(name.count, 22), withPad: " ", startingAt: 0)
    return "  " + padded + String(format: " %7d  %5.1f%%", n, count == 0 ? 0 : 100 * Double(n) / Double(count))
  }
  print("classes:")
  for (name, n) in classes { print(line(name, n)) }
  print("kinds:")
  var tally: [String: Int] = [:]
  for kind in kinds { tally[kind, default: 0] += 1 }
  for (kind, n) in tally.sorted(by: { $0.key < $1.key }) { print(line(kind, n)) }
}
