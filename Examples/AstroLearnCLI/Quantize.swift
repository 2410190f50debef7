import ArgumentParser
import AstroArtefacts
import AstroIO
import AstroNN
import AstroQuantization
import AstroTFLite
import AstroTensor
import Foundation

extension CalibrationMethod: ExpressibleByArgument {
  public init?(argument: String) { self.init(parsing: argument) }
  public static var allValueStrings: [String] { ["minmax", "percentile", "percentile:P", "mse"] }
}

extension QuantizedIOType: ExpressibleByArgument {}

struct Quantize: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Quantize a Keras model to a full-integer int8 .tflite, calibrated on sample inputs.",
    discussion: """
      Each --calibration is NAME=FILE.npy (a bare FILE.npy for a one-input model), [N] + the input's shape as the \
      model takes it. Prints the per-layer error against the float model on the calibration samples. With --edgetpu \
      the file has a fixed batch of 1 and uint8 input and output, and an Edge TPU compatibility report follows.
      """)

  @Argument(help: "A full Keras model file (.h5) or an .onnx; its manifest, if any, is carried into the .tflite.") var model: String
  @Option(name: .customLong("calibration"), help: "NAME=FILE.npy, once per model input.") var calibration: [String] = []
  @Option(help: "Calibration samples used (the first N).") var calibrationCount = 500
  @Option(help: "Calibration method: minmax, percentile[:P] or mse.") var method: CalibrationMethod = .mse
  @Option(help: "Input and output type: int8, uint8 or float32 (default int8; uint8 with --edgetpu).") var io: QuantizedIOType?
  @Flag(help: "Fixed batch 1 and uint8 I/O for the Coral Edge TPU compiler; prints the compatibility report.") var edgetpu = false
  @Option(help: "Write the per-layer error report (Markdown) here too.") var report: String?
  @Option(help: "The .tflite file to write.") var out: String
  @OptionGroup var isolation: IsolationOption

  func validate() throws {
    guard !calibration.isEmpty else { throw ValidationError("give calibration samples with --calibration NAME=FILE.npy") }
    guard calibrationCount > 0 else { throw ValidationError("--calibration-count must be positive") }
  }

  func run() throws {
    try isolation.check(model)
    let file = try ModelFile.load(model)
    let loaded = file.model
    let arrays = try NamedInputs.read(calibration, option: "--calibration", names: loaded.inputNames, shapes: loaded.inputShapes)
    let count = min(calibrationCount, arrays[0].shape[0])
    let samples = try arrays.map { try $0.batch(0..<count) }
    let options = QuantizationOptions(method: method, ioType: io ?? (edgetpu ? .uint8 : .int8), dynamicBatch: !edgetpu)
    let quantized = try PostTrainingQuantization.quantize(loaded, calibration: samples, options: options)
    try TFLiteWriter.write(
      quantized.graph, to: out, batch: edgetpu ? .fixedOne : .dynamic, metadata: try file.manifest.map(ModelFile.tfliteMetadata) ?? [])
    let table = try quantized.report(on: samples).markdown()
    print(table)
    if let report { try AtomicFile.write([Data((table + "\n").utf8)], to: report) }
    if edgetpu { print(EdgeTPUReport(try TFLiteModel.read(path: out)).text()) }
    FileHandle.standardError.write(Data("astrolearn: wrote \(out) (\(count) calibration samples, \(method))\n".utf8))
  }
}

struct EdgeTPUReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "edgetpu-report",
    abstract: "Check a .tflite against the Coral Edge TPU compiler's requirements: what maps to the TPU, what stays on the CPU.")

  @Argument(help: "A .tflite file.") var model: String

  func run() throws {
    let read = try TFLiteModel.read(path: model)
    print(read.summary())
    print(EdgeTPUReport(read).text())
  }
}
