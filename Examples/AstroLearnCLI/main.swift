// astrolearn: any model file (Keras .h5, .onnx, int8 .tflite, artefacts) from the command line.
//   swift run -c release astrolearn summary MODEL.h5|MODEL.onnx
//   swift run -c release astrolearn predict MODEL.h5|MODEL.onnx|MODEL.tflite --input NAME=FILE.npy [--input ...] --out OUT.npy [--batch N] [--logits]
//   swift run -c release astrolearn export MODEL.h5|MODEL.onnx --format onnx|keras-h5|artefact --out FILE [--manifest M.json] [--opset N] [--nchw]
//   swift run -c release astrolearn quantize MODEL.h5 --calibration NAME=FILE.npy [--method minmax|percentile|mse] [--edgetpu] --out M.tflite
//   swift run -c release astrolearn edgetpu-report M.tflite
//   swift run -c release astrolearn al simulate --strategies random,uncertainty,bald --seeds 10 --out DIR
//   mpirun -np 2 .build/release/astrolearn mpi-check
import ArgumentParser
import AstroArtefacts
import AstroInt8
import AstroIO
import AstroNN
import AstroQuantization
import AstroTFLite
import AstroTensor
import Foundation

struct AstroLearnCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "astrolearn",
    abstract: "Inspect, run, convert and quantize model files: Keras .h5 (with model_config), .onnx, int8 .tflite, artefacts.",
    subcommands: [Summary.self, Predict.self, Export.self, Quantize.self, EdgeTPUReportCommand.self, ActiveLearningCommand.self, MPICheck.self])
}

struct Summary: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Print a model's layers, shapes, parameters, inputs and outputs.")

  @Argument(help: "A full Keras model file (.h5) or an .onnx.")
  var model: String

  @OptionGroup var isolation: IsolationOption

  func run() throws {
    try isolation.check(model)
    let file = try ModelFile.load(model)
    let loaded = file.model
    print(loaded.summary())
    for (name, shape) in zip(loaded.inputNames, loaded.inputShapes) { print("input  \(name): [N] + \(shape)") }
    for (name, shape) in zip(loaded.outputNames, loaded.outputShapes) { print("output \(name): [N] + \(shape)") }
    if let manifest = file.manifest {
      print("manifest: \(manifest.name) \(manifest.version)")
      print(try manifest.json(), terminator: "")
    }
  }
}

struct Predict: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run a model on .npy arrays; write one float32 .npy per output.",
    discussion: """
      Each --input is NAME=FILE.npy, NAME being one of the model's inputs (`astrolearn summary` lists them); a \
      model with one input also takes a bare FILE.npy. Arrays are converted to float32 and must hold [N] + the \
      input's shape. With one output, --out is the file written; with several, --out is a folder that gets one \
      NAME.npy per output. A model whose manifest gives feature means and scales takes raw feature values: they \
      are standardised here, as the manifest says.
      """)

  @Argument(help: "A full Keras model file (.h5), an .onnx, or an int8 .tflite (run by the int8 engine; floats in and out).")
  var model: String

  @Option(name: .customLong("input"), help: "NAME=FILE.npy, once per model input.")
  var inputs: [String] = []

  @Option(help: "Output file (one output) or folder (several outputs).")
  var out: String

  @Option(help: "Samples per model batch.")
  var batch: Int = 256

  @Flag(help: "Write the outputs before their final activation (logits).")
  var logits = false

  @OptionGroup var isolation: IsolationOption

  func validate() throws {
    guard batch > 0 else { throw ValidationError("--batch must be positive, got \(batch)") }
    guard !inputs.isEmpty else { throw ValidationError("give the model's inputs with --input NAME=FILE.npy") }
  }

  func run() throws {
    try isolation.check(model)
    if model.hasSuffix(".tflite") { return try runTFLite() }
    let file = try ModelFile.load(model)
    let loaded = file.model
    var arrays = try NamedInputs.read(inputs, names: loaded.inputNames, shapes: loaded.inputShapes)
    if let manifest = file.manifest { arrays = try ManifestPreprocessing.apply(manifest, to: arrays, source: model) }
    let n = arrays[0].shape[0]
    let outputs = loaded.outputShapes.map { Tensor(uninitializedShape: [n] + $0) }
    var progress = ProgressBar(total: n)
    for first in stride(from: 0, to: n, by: batch) {
      let range = first..<min(first + batch, n)
      let parts = try loaded.predict(arrays.map { try $0.batch(range) }, logits: logits)
      for (output, part) in zip(outputs, parts) {
        (output.storage.pointer + first * (output.count / max(n, 1))).update(from: part.storage.pointer, count: part.count)
      }
      progress.advance(to: range.upperBound)
    }
    progress.finish()
    try write(outputs, names: loaded.outputNames)
  }

  /// Runs an int8 .tflite: float inputs quantized with the model's input parameters, outputs dequantized.
  func runTFLite() throws {
    guard !logits else { throw ValidationError("--logits applies to Keras models, not to a .tflite") }
    let graph = try TFLiteModel.read(path: model).graph
    let interpreter = try Int8Interpreter(graph)
    let inputTensors = graph.inputs.map { graph.tensors[$0] }
    let arrays = try NamedInputs.read(inputs, names: inputTensors.map(\.name), shapes: inputTensors.map { Array($0.shape.dropFirst()) })
    let n = arrays[0].shape[0]
    var outputs = [[Float]](repeating: [], count: graph.outputs.count), shapes = [[Int]](repeating: [], count: graph.outputs.count)
    for first in stride(from: 0, to: n, by: batch) {
      let range = first..<min(first + batch, n)
      let parts = try arrays.map { try $0.batch(range) }
      for (k, output) in try interpreter.run(floats: parts.map { ($0.values, $0.shape) }).enumerated() {
        outputs[k] += output.values
        shapes[k] = [n] + output.shape.dropFirst()
      }
    }
    try write(try zip(outputs, shapes).map { try Tensor(shape: $1, values: $0) }, names: graph.outputs.map { graph.tensors[$0].name })
  }

  func write(_ outputs: [Tensor], names: [String]) throws {
    if outputs.count == 1 {
      try outputs[0].npyArray().write(to: out)
      FileHandle.standardError.write(Data("astrolearn: wrote \(out) \(outputs[0].shape)\n".utf8))
      return
    }
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    for (output, name) in zip(outputs, names) {
      let path = (out as NSString).appendingPathComponent("\(name).npy")
      try output.npyArray().write(to: path)
      FileHandle.standardError.write(Data("astrolearn: wrote \(path) \(output.shape)\n".utf8))
    }
  }
}

/// Arrays for named model inputs from `NAME=FILE.npy` arguments (a bare `FILE.npy` for a one-input model).
enum NamedInputs {
  /// One tensor per input, in `names` order, each checked against its per-sample shape.
  static func read(_ arguments: [String], option: String = "--input", names: [String], shapes: [[Int]]) throws -> [Tensor] {
    var byName: [String: String] = [:]
    for argument in arguments {
      if let eq = argument.firstIndex(of: "="), !argument[..<eq].isEmpty {
        byName[String(argument[..<eq])] = String(argument[argument.index(after: eq)...])
      } else if names.count == 1 {
        byName[names[0]] = argument
      } else {
        throw ValidationError("\(option) \(argument): name the input (NAME=FILE.npy); the model's inputs are \(names.joined(separator: ", "))")
      }
    }
    if let unknown = byName.keys.sorted().first(where: { !names.contains($0) }) {
      throw ValidationError("\(option) \(unknown)=...: the model has no input '\(unknown)'; its inputs are \(names.joined(separator: ", "))")
    }
    return try zip(names, shapes).map { name, shape in
      guard let path = byName[name] else { throw ValidationError("no \(option) \(name)=FILE.npy (the model's inputs are \(names.joined(separator: ", ")))") }
      let tensor = try Tensor.load(npy: path)
      guard tensor.rank == shape.count + 1, Array(tensor.shape.dropFirst()) == shape else {
        throw ValidationError("\(path): array of shape \(tensor.shape), input '\(name)' takes [N] + \(shape)")
      }
      return tensor
    }
  }
}

/// A progress bar on stderr when it is a terminal (samples done, rate, time left); nothing otherwise.
struct ProgressBar {
  let total: Int
  let start = Date()
  let isTerminal = isatty(STDERR_FILENO) == 1

  mutating func advance(to done: Int) {
    guard isTerminal else { return }
    let elapsed = Date().timeIntervalSince(start), width = 30
    let filled = width * done / max(total, 1)
    let rate = Double(done) / max(elapsed, 1e-9)
    let line = String(
      format: "\r[%@%@] %d/%d  %.0f samples/s  ETA %.0fs ", String(repeating: "=", count: filled),
      String(repeating: " ", count: width - filled), done, total, rate, Double(total - done) / max(rate, 1e-9))
    FileHandle.standardError.write(Data(line.utf8))
  }

  func finish() {
    guard isTerminal else { return }
    FileHandle.standardError.write(Data("\n".utf8))
  }
}

AstroLearnCommand.main()
