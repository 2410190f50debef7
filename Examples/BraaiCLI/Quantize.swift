import AstroIO
import AstroQuantization
import AstroTFLite
import ArgumentParser
import Braai
import AstroTensor
import Foundation
import ZTFAlerts

extension CalibrationMethod: ExpressibleByArgument {
  public init?(argument: String) { self.init(parsing: argument) }
  public static var allValueStrings: [String] { ["minmax", "percentile", "percentile:P", "mse"] }
}

struct Quantize: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Quantize braai to a full-integer int8 .tflite (LiteRT, or the Edge TPU compiler with --edgetpu).",
    discussion: """
      Calibration comes from alert packets (.avro files or folders; triplets built with --norm) or a .npy of \
      triplets [N, 63, 63, 3] (`braai triplets` writes one). Prints the per-layer error against the float model on \
      the calibration set. With --edgetpu the model takes and returns uint8 (as braai's published Edge TPU model) with \
      a fixed batch of 1, and an Edge TPU compatibility report follows; compile it with Coral's edgetpu_compiler.
      """)

  @Option(help: "Keras .h5 weights (default: the bundled d6_m7).") var weights: String?
  @Option(help: "Calibration alerts (.avro file or folder) or a .npy of triplets.") var calibration: String
  @Option(help: "Calibration samples used (the first N).") var calibrationCount = 200
  @Option(help: "Cutout normalisation for alert packets: row (d6_m7) or global (d6_m9).") var norm: TripletNormalization = .row
  @Option(help: "Calibration method: minmax, percentile[:P] or mse.") var method: CalibrationMethod = .mse
  @Flag(help: "uint8 input and output, batch 1: for the Coral Edge TPU compiler.") var edgetpu = false
  @Option(help: "Write the per-layer error report (Markdown) here too.") var report: String?
  @Option(help: "The .tflite file to write.") var out: String

  func validate() throws {
    guard calibrationCount > 0 else { throw ValidationError("--calibration-count must be positive") }
  }

  func run() throws {
    let braai = try BraaiModel(weights: weights)
    let triplets = try CalibrationTriplets.read(calibration, normalization: norm, limit: calibrationCount)
    let options = QuantizationOptions(method: method, ioType: edgetpu ? .uint8 : .int8, dynamicBatch: !edgetpu)
    let quantized = try PostTrainingQuantization.quantize(braai.model, calibration: [triplets], options: options)
    try TFLiteWriter.write(quantized.graph, to: out, batch: edgetpu ? .fixedOne : .dynamic)
    let table = try quantized.report(on: [triplets]).markdown()
    print(table)
    if let report { try AtomicFile.write([Data((table + "\n").utf8)], to: report) }
    if edgetpu { print(EdgeTPUReport(try TFLiteModel.read(path: out)).text()) }
    FileHandle.standardError.write(Data("braai: wrote \(out) (\(triplets.shape[0]) calibration samples, \(method))\n".utf8))
  }
}

/// Calibration triplets from alert packets or a .npy file.
enum CalibrationTriplets {
  static func read(_ path: String, normalization: TripletNormalization, limit: Int) throws -> Tensor {
    if path.hasSuffix(".npy") {
      let array = try NpyArray.read(path: path)
      guard array.shape.count == 4, Array(array.shape.dropFirst()) == [63, 63, 3], array.shape[0] > 0 else {
        throw ValidationError("\(path): triplets must have shape [N, 63, 63, 3], got \(array.shape)")
      }
      let count = min(limit, array.shape[0])
      return try Tensor(shape: [count, 63, 63, 3], values: Array(array.floats().prefix(count * 63 * 63 * 3)))
    }
    let files = try AlertScorer.avroFiles(in: [path])
    let scorer = AlertScorer(model: try BraaiModel(), normalization: normalization)
    let (items, failures) = scorer.triplets(files: files)
    for failure in failures { FileHandle.standardError.write(Data("braai: \(failure)\n".utf8)) }
    guard !items.isEmpty else { throw ValidationError("\(path): no alert could be read for calibration") }
    let chosen = items.prefix(limit)
    return try Tensor(shape: [chosen.count, 63, 63, 3], values: chosen.flatMap(\.triplet))
  }
}

struct Triplets: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Write the triplets `braai score` would score, as triplets.npy [N, 63, 63, 3] and candids.npy [N] beside it.")

  @Option(help: "Cutout normalisation: row (d6_m7) or global (d6_m9).") var norm: TripletNormalization = .row
  @Option(help: "The triplets .npy to write (candids.npy goes in the same folder).") var out: String
  @Argument(help: "Alert packets (.avro) or folders of them.") var paths: [String]

  func run() throws {
    let files = try AlertScorer.avroFiles(in: paths)
    let (items, failures) = AlertScorer(model: try BraaiModel(), normalization: norm).triplets(files: files)
    for failure in failures { FileHandle.standardError.write(Data("braai: \(failure)\n".utf8)) }
    try NpyArray(shape: [items.count, 63, 63, 3], floats: items.flatMap(\.triplet)).write(to: out)
    let candids = ((out as NSString).deletingLastPathComponent as NSString).appendingPathComponent("candids.npy")
    try NpyArray(shape: [items.count], int64s: items.map(\.alert.candid)).write(to: candids)
    FileHandle.standardError.write(Data("braai: wrote \(items.count) triplets to \(out) and their candids to \(candids)\n".utf8))
    if !failures.isEmpty { throw ExitCode(1) }
  }
}
