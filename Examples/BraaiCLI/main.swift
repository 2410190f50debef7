// braai: ZTF's real/bogus classifier from the command line.
//   swift run -c release braai score [--weights FILE.h5 | --model ARTEFACT.h5|.onnx|.tflite] [--norm row|global] [--batch N] [--format csv|json] PATH...
//   swift run -c release braai quantize --calibration DIR_OR_NPY [--method minmax|percentile|mse] [--edgetpu] --out M.tflite
//   swift run -c release braai triplets PATH... --out triplets.npy
#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import ArgumentParser
import AstroIO
import Braai
import Foundation
import ZTFAlerts

struct BraaiCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "braai", abstract: "ZTF real/bogus classification with braai (VGG6 on alert triplets).",
    subcommands: [Score.self, Train.self, Evaluate.self, Quantize.self, Triplets.self])
}

extension TripletNormalization: ExpressibleByArgument {}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case csv, json }

struct Score: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Score ZTF alert packets (.avro files or folders of them); CSV or JSON to stdout.")

  @Option(help: "Keras .h5 weights (default: the bundled d6_m7, which produced the packets' drb).")
  var weights: String?
  @Flag(help: "Read --weights/--model in a child process (astro-h5check) first: a malformed file that crashes libhdf5 gives an error instead.")
  var isolateH5 = false

  @Option(
    help: """
      A model artefact to score with instead: a .h5 or .onnx carrying its manifest (Datasets/braai/d6_m9.artefact.h5), \
      or an int8 .tflite (from `braai quantize` or TensorFlow's converter, run on the int8 engine).
      """)
  var model: String?

  @Option(help: "Cutout normalisation: row (d6_m7) or global (d6_m9). Read from the model's manifest when it has one.")
  var norm: TripletNormalization?

  @Option(help: "Alerts per model batch.")
  var batch: Int = 256

  @Option(help: "Output format: csv or json.")
  var format: OutputFormat = .csv

  @Argument(help: "Alert packets (.avro) or folders of them.")
  var paths: [String]

  func run() throws {
    let start = Date()
    if model != nil && weights != nil { throw ValidationError("give --weights or --model, not both") }
    if isolateH5, let file = model ?? weights { try HDF5Isolation.check(file) }
    let braai = try BraaiArtefact.load(model: model, weights: weights)
    let normalization = try BraaiArtefact.normalization(option: norm, manifestSays: braai.normalization, source: braai.source) {
      FileHandle.standardError.write(Data("braai: warning: \($0)\n".utf8))
    }
    let files = try AlertScorer.avroFiles(in: paths)
    let scorer = AlertScorer(model: braai.scorer, normalization: normalization, batchSize: batch)
    let (alerts, failures) = scorer.score(files: files)
    for failure in failures { FileHandle.standardError.write(Data("braai: \(failure)\n".utf8)) }
    print(format == .csv ? Self.csv(alerts) : Self.json(alerts), terminator: "")
    let seconds = Date().timeIntervalSince(start)
    FileHandle.standardError.write(Data(String(
      format: "braai: scored %d alerts from %d files, %d failed, in %.2f s\n", alerts.count, files.count,
      failures.count, seconds).utf8))
    if !failures.isEmpty { throw ExitCode(1) }
  }

  static func csv(_ alerts: [ScoredAlert]) -> String {
    var out = "candid,objectId,score,drb\n"
    for a in alerts {
      out += "\(a.candid),\(a.objectId),\(String(format: "%.9g", a.score)),\(a.drb.map { String(format: "%.9g", $0) } ?? "")\n"
    }
    return out
  }

  static func json(_ alerts: [ScoredAlert]) -> String {
    let rows = alerts.map { a -> String in
      let drb = a.drb.map { String(format: "%.9g", $0) } ?? "null"
      let id = a.objectId.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      return "  {\"candid\": \(a.candid), \"objectId\": \"\(id)\", \"score\": \(String(format: "%.9g", a.score)), \"drb\": \(drb)}"
    }
    return "[\n" + rows.joined(separator: ",\n") + "\n]\n"
  }
}

// Line-buffered stdout, so printed lines and the progress output (written straight to the file handle)
// appear in order when piped.
// Line-buffered stdout so that progress reaches a pipe or log as it happens. C's `stdout` is a global the
// Swift 6 checker cannot prove safe (hence the @preconcurrency import); this runs once, before any output.
setvbuf(stdout, nil, _IOLBF, 0)
BraaiCommand.main()
