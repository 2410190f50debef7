// Throughput benchmark: `swift run -c release bench WORKLOAD [--batch N] [--samples N] [--repeats N]`.
// Prints one JSON line with the median samples/s over the repetitions (after a warm-up) and the peak RSS.
import AstroInt8
import AstroKernels
import AstroNN
import AstroQuantization
import AstroTensor
import Braai
import Foundation

struct Workload {
  let make: () throws -> Model
  let inputShape: [Int]
  let training: Bool
  let batch: Int
  let samples: Int
}

let workloads: [String: Workload] = [
  "vgg6-train": Workload(make: { try VGG6.make() }, inputShape: [63, 63, 3], training: true, batch: 64, samples: 4096),
  "vgg6-infer": Workload(make: { try VGG6.make() }, inputShape: [63, 63, 3], training: false, batch: 1024, samples: 16384),
  "ds-vgg6-train": Workload(make: { try VGG6.make(inputShape: [144, 144, 1]) }, inputShape: [144, 144, 1], training: true, batch: 32, samples: 1024),
  "ds-vgg6-infer": Workload(make: { try VGG6.make(inputShape: [144, 144, 1]) }, inputShape: [144, 144, 1], training: false, batch: 32, samples: 2048),
  "resnet50-train": Workload(make: { try ResNet.resnet50() }, inputShape: [144, 144, 1], training: true, batch: 32, samples: 128),
  "resnet50-infer": Workload(make: { try ResNet.resnet50() }, inputShape: [144, 144, 1], training: false, batch: 32, samples: 256),
  "densenet121-train": Workload(make: { try DenseNet.densenet121() }, inputShape: [144, 144, 1], training: true, batch: 32, samples: 128),
  "densenet121-infer": Workload(make: { try DenseNet.densenet121() }, inputShape: [144, 144, 1], training: false, batch: 32, samples: 256),
]

/// `alerts-score`: real ZTF packets (../shared's 44, else the bundled 10) read, decoded, turned into
/// triplets and scored by braai d6_m7, the packet list repeated up to `--samples` alerts; `--int8 1` scores with
/// d6_m7 quantized to int8 on the int8 interpreter.
func alertsScore(batch: Int, samples: Int, repeats: Int, int8: Bool) throws -> [Double] {
  let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
  let shared = root.deletingLastPathComponent().appendingPathComponent("shared/data/ztf-alerts").path
  let folder = FileManager.default.fileExists(atPath: shared) ? shared : root.appendingPathComponent("Datasets/ztf-alerts").path
  let packets = try AlertScorer.avroFiles(in: [folder])
  let files = (0..<samples).map { packets[$0 % packets.count] }
  let braai = try BraaiModel()
  var model: any TripletScoring = braai
  if int8 {
    // d6_m7 quantized with the first 14 packets' triplets as calibration (outside the timing).
    let calibration = AlertScorer(model: braai).triplets(files: Array(packets.prefix(14))).triplets
    let samples = try Tensor(shape: [calibration.count, 63, 63, 3], values: calibration.flatMap(\.triplet))
    model = try BraaiInt8Model(try PostTrainingQuantization.quantize(braai.model, calibration: [samples]))
  }
  let scorer = AlertScorer(model: model, normalization: .row, batchSize: batch)
  _ = scorer.score(files: Array(files.prefix(batch)))  // warm-up
  return try (0..<repeats).map { _ in
    let start = DispatchTime.now().uptimeNanoseconds
    let (alerts, failures) = scorer.score(files: files)
    guard failures.isEmpty, alerts.count == samples else { throw NNError.model("alerts-score: \(failures.first.map { "\($0)" } ?? "missing alerts")") }
    return Double(samples) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
}

/// `vgg6-int8-infer`: VGG6 quantized to int8 (calibrated on 64 samples) run by the int8 interpreter on int8
/// batches, as LiteRT's `keras_vgg6.py litert-int8` runs TensorFlow's conversion of the same network.
func vgg6Int8(batch: Int, samples: Int, repeats: Int, profile: Bool) throws -> [Double] {
  var generator = SeededGenerator(seed: 0)
  let model = try VGG6.make()
  let calibration = Tensor.normal([64, 63, 63, 3], standardDeviation: 0.05, generator: &generator)
  let quantized = try PostTrainingQuantization.quantize(model, calibration: [calibration], options: QuantizationOptions(method: .minMax))
  let levels = (0..<(batch * 63 * 63 * 3)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
  let input = try TensorValues(shape: [batch, 63, 63, 3], type: .int8, bytes: levels)
  _ = try quantized.interpreter.run([input])  // warm-up
  if profile {  // the median of 9 runs per operator
    let runs = try (0..<9).map { _ in try quantized.interpreter.profile([input]) }
    for (position, (op, _)) in runs[0].enumerated() {
      let median = runs.map { $0[position].seconds }.sorted()[runs.count / 2]
      FileHandle.standardError.write(Data(String(format: "%-50@ %8.2f ms\n", op as NSString, median * 1000).utf8))
    }
  }
  let passes = max(1, samples / batch)
  return try (0..<repeats).map { _ in
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<passes { _ = try quantized.interpreter.run([input]) }
    return Double(passes * batch) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
}

@MainActor func usage() -> Never {
  FileHandle.standardError.write(Data("usage: bench WORKLOAD [--batch N] [--samples N] [--repeats N] [--profile 1] [--int8 1 (alerts-score)] [--pool N --pick N --passes N (al-select)]\nworkloads: \((workloads.keys + ["alerts-score", "vgg6-int8-infer", "al-select"]).sorted().joined(separator: ", "))\n".utf8))
  exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
let special = ["alerts-score", "vgg6-int8-infer", "al-select"]
guard let name = arguments.first, workloads[name] != nil || special.contains(name) else { usage() }
arguments.removeFirst()
var options: [String: Int] = [:]
while arguments.count >= 2, arguments[0].hasPrefix("--"), let value = Int(arguments[1]) {
  options[String(arguments[0].dropFirst(2))] = value
  arguments.removeFirst(2)
}
guard arguments.isEmpty else { usage() }
let repeats = options["repeats"] ?? 3

/// Prints the result line: median, min and max samples/s over the repetitions, peak RSS.
func report(_ name: String, batch: Int, samples: Int, rates unsorted: [Double]) throws {
  let rates = unsorted.sorted()
  let line: [String: Any] = [
    "workload": name, "batch": batch, "samples": samples, "samples_per_s": (rates[rates.count / 2] * 10).rounded() / 10,
    "min": (rates.first! * 10).rounded() / 10, "max": (rates.last! * 10).rounded() / 10,
    "peak_rss_mb": (peakRSSMegabytes() * 10).rounded() / 10, "threads": Parallel.workerCount, "isa": KernelISA.active.rawValue,
    "int8_route": Int8Route.best.rawValue,
  ]
  let json = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
  print(String(decoding: json, as: UTF8.self))
}

if name == "alerts-score" {
  let batch = options["batch"] ?? 1024, samples = options["samples"] ?? 20_000
  let int8 = options["int8"] == 1
  try report(int8 ? "alerts-score-int8" : name, batch: batch, samples: samples,
             rates: try alertsScore(batch: batch, samples: samples, repeats: repeats, int8: int8))
  exit(0)
}
if name == "al-select" {
  try activeLearningSelect(pool: options["pool"] ?? 100_000, pick: options["pick"] ?? 1000, passes: options["passes"] ?? 20)
  exit(0)
}
if name == "vgg6-int8-infer" {
  let batch = options["batch"] ?? 256, samples = options["samples"] ?? 4096
  try report(name, batch: batch, samples: samples, rates: try vgg6Int8(batch: batch, samples: samples, repeats: repeats, profile: options["profile"] == 1))
  exit(0)
}
let workload = workloads[name]!
let batch = options["batch"] ?? workload.batch
let samples = options["samples"] ?? workload.samples

/// Peak resident set size of this process in MB (VmHWM).
func peakRSSMegabytes() -> Double {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
    let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
    let kb = Double(line.split(separator: " ").dropFirst().first ?? "")
  else { return 0 }
  return kb / 1024
}

let model = try workload.make()
var rng = SeededGenerator(seed: 0)
let data = Tensor.normal([samples] + workload.inputShape, standardDeviation: 0.05, generator: &rng)
let labels = try Tensor(shape: [samples], values: (0..<samples).map { _ in rng.nextUnitFloat() < 0.5 ? 0 : 1 })
let optimizer = Adam(learningRate: 3e-4)

/// One pass over `count` samples: training steps or inference batches.
@MainActor func pass(_ count: Int) throws {
  for first in stride(from: 0, to: count, by: batch) {
    let range = first..<min(first + batch, count)
    let x = try data.batch(range)
    if workload.training {
      try model.trainStep(x, labels: labels.batch(range), optimizer: optimizer, generator: &rng)
    } else {
      _ = try model.predict(x)
    }
  }
}

try pass(min(samples, batch * 2))  // warm-up: buffers, pools, caches
var rates: [Double] = []
for _ in 0..<repeats {
  let start = DispatchTime.now().uptimeNanoseconds
  try pass(samples)
  rates.append(Double(samples) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
}
if options["profile"] == 1 {
  // Per-layer time of one more pass, forward and backward, in milliseconds per batch.
  Profiler.isEnabled = true
  try pass(samples)
  let batches = Double((samples + batch - 1) / batch)
  for entry in Profiler.drain() {
    FileHandle.standardError.write(Data(String(format: "%-40@ %8.2f ms\n", entry.label as NSString, entry.seconds * 1000 / batches).utf8))
  }
}
try report(name, batch: batch, samples: samples, rates: rates)
