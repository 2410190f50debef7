import Foundation
import SyntheticData
import XCTest

/// One channel of an HWC cutout, with the measurements the physics tests make on it.
struct Channel {
  let size: Int
  let values: [Double]

  /// Channel `channel` of the `channels`-channel HWC image `image`.
  init(_ image: ArraySlice<Float>, size: Int, channel: Int, channels: Int = 3) {
    self.size = size
    let base = image.startIndex
    values = (0..<(size * size)).map { Double(image[base + $0 * channels + channel]) }
  }

  /// A channel holding `values` (size * size, row-major).
  init(size: Int, values: [Double]) {
    self.size = size
    self.values = values
  }

  subscript(row: Int, column: Int) -> Double { values[row * size + column] }

  /// Robust noise deviation: 1.4826 x the median absolute deviation of the finite pixels.
  var robustSigma: Double {
    let finite = values.filter(\.isFinite).sorted()
    guard !finite.isEmpty else { return 0 }
    let median = finite[finite.count / 2]
    let deviations = finite.map { abs($0 - median) }.sorted()
    return 1.4826 * deviations[deviations.count / 2]
  }

  /// Median of the finite pixels.
  var median: Double {
    let finite = values.filter(\.isFinite).sorted()
    return finite.isEmpty ? 0 : finite[finite.count / 2]
  }

  /// Mean over the 3 x 3 box around (row, column) (clipped at the borders; NaN counts as 0).
  func boxMean(row: Int, column: Int) -> Double {
    var sum = 0.0, n = 0.0
    for r in max(0, row - 1)...min(size - 1, row + 1) {
      for c in max(0, column - 1)...min(size - 1, column + 1) {
        let v = self[r, c]
        sum += v.isFinite ? v : 0
        n += 1
      }
    }
    return sum / n
  }

  /// The image filtered with a Gaussian of `sigma` px at (row, column), normalised so that on white noise
  /// of deviation s it has deviation s: a matched-filter detection statistic for a source of that width.
  func matchedFilter(row: Int, column: Int, sigma: Double) -> Double {
    let reach = Int((3 * sigma).rounded(.up))
    var sum = 0.0, weights2 = 0.0
    for r in max(0, row - reach)...min(size - 1, row + reach) {
      for c in max(0, column - reach)...min(size - 1, column + reach) {
        let d2 = Double((r - row) * (r - row) + (c - column) * (c - column))
        let w = Foundation.exp(-d2 / (2 * sigma * sigma))
        let v = self[r, c]
        sum += w * (v.isFinite ? v : 0)
        weights2 += w * w
      }
    }
    return sum / weights2.squareRoot()
  }

  /// Pixels within `radius` of (x, y), as (row, column) pairs.
  func disc(x: Double, y: Double, radius: Double) -> [(row: Int, column: Int)] {
    var out: [(Int, Int)] = []
    for r in max(0, Int(y - radius))...min(size - 1, Int(y + radius) + 1) {
      for c in max(0, Int(x - radius))...min(size - 1, Int(x + radius) + 1) {
        let dx = Double(c) - x, dy = Double(r) - y
        if dx * dx + dy * dy <= radius * radius { out.append((r, c)) }
      }
    }
    return out
  }
}

/// Best accuracy of a single threshold on `statistic` (either direction) for 0/1 `labels`.
func bestThresholdAccuracy(_ statistic: [Double], _ labels: [Float]) -> Double {
  let order = statistic.indices.sorted { statistic[$0] < statistic[$1] }
  let positives = labels.filter { $0 == 1 }.count
  let total = labels.count
  // Predict 1 above the cut: correct = negatives below + positives above.
  var negativesBelow = 0, positivesBelow = 0
  var best = max(positives, total - positives)
  for index in order {
    if labels[index] == 1 { positivesBelow += 1 } else { negativesBelow += 1 }
    let above = negativesBelow + (positives - positivesBelow)
    let below = positivesBelow + (total - positives - negativesBelow)
    best = max(best, above, below)
  }
  return Double(best) / Double(total)
}

/// A fresh temporary folder, removed at the end of the test.
func temporaryFolder(_ test: XCTestCase) throws -> String {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("SyntheticDataTests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
  return url.path
}

/// Whether `python3` with NumPy can be run here.
func numpyAvailable() -> Bool {
  (try? runPython("import numpy")) != nil
}

/// Runs `python3 -c script` and returns its standard output; throws when it fails.
@discardableResult
func runPython(_ script: String) throws -> String {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", "-c", script]
  let output = Pipe(), errors = Pipe()
  process.standardOutput = output
  process.standardError = errors
  try process.run()
  let data = output.fileHandleForReading.readDataToEndOfFile()
  let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  process.waitUntilExit()
  guard process.terminationStatus == 0 else {
    throw NSError(domain: "python3", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: errorText])
  }
  return String(decoding: data, as: UTF8.self)
}
