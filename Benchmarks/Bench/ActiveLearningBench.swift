import ActiveLearning
import AstroIO
import AstroKernels
import AstroNN
import AstroTensor
import Foundation

/// `al-select`: picks `pick` of a `pool`-sample pool of 63×63×3 triplets in a memory-mapped float32 `.npy` on disk
/// (written once to the temporary folder, values like row-normalised cutouts), scored by VGG6: entropy
/// uncertainty (one prediction per sample) and BALD with `passes` Monte-Carlo dropout passes. Prints one JSON
/// line with the seconds of each.
func activeLearningSelect(pool count: Int, pick: Int, passes: Int) throws {
  let path = FileManager.default.temporaryDirectory.appendingPathComponent("astro-al-pool-\(count).npy").path
  let perSample = 63 * 63 * 3
  if !FileManager.default.fileExists(atPath: path) {
    // Written a block at a time (the whole pool does not fit in memory at a million samples); a scratch file, so
    // not through the atomic writer.
    let partial = path + ".partial"
    guard FileManager.default.createFile(atPath: partial, contents: NpyArray.fileHeader(dtype: .float32, shape: [count, 63, 63, 3])) else {
      throw NpyError(source: partial, field: "file", reason: "cannot create")
    }
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: partial))
    try handle.seekToEnd()
    var generator = SeededGenerator(seed: 1)
    for first in stride(from: 0, to: count, by: 1024) {
      let n = min(1024, count - first)
      let block = (0..<(n * perSample)).map { _ in abs(generator.nextNormal()) * 0.08 }
      try handle.write(contentsOf: block.withUnsafeBytes { Data($0) })
    }
    try handle.close()
    try FileManager.default.moveItem(atPath: partial, toPath: path)
  }
  let pool = try NpyPool(paths: [path])
  let model = try VGG6.make(seed: 3)
  var result: [String: Any] = ["workload": "al-select", "pool": count, "pick": pick, "passes": passes, "threads": Parallel.workerCount]
  for (label, strategy) in [("uncertainty_seconds", AcquisitionStrategy.uncertainty(.entropy)), ("bald_seconds", .bald(passes: passes))] {
    let start = DispatchTime.now().uptimeNanoseconds
    let selection = try ActiveLearner(strategy: strategy).select(pick, models: [model], pool: pool, unlabeled: Array(0..<count), seed: 7)
    precondition(selection.indices.count == pick)
    result[label] = (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e8).rounded() / 10
  }
  let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
  print(String(decoding: json, as: UTF8.self))
}
