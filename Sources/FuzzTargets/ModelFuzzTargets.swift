import AstroArtefacts
import AstroInt8
import AstroNN
import AstroONNX
import AstroTFLite
import Braai
import Foundation

extension FuzzTargets {
  /// Model descriptions: Keras JSON configs, TFLite and ONNX files, manifests, and labels files.
  static let modelTargets: [FuzzTarget] = [
    FuzzTarget("model-config", "a Keras model config (JSON) built into a model") { data in
      _ = try Model.fromKerasJSON(String(decoding: data, as: UTF8.self))
    },
    FuzzTarget("tflite", "a .tflite flatbuffer read, then run by the int8 engine when its inputs are small") { data in
      let model = try TFLiteModel(bytes: [UInt8](data), source: "fuzz.tflite")
      let interpreter = try Int8Interpreter(model.graph)
      // A dynamic batch (-1) runs as 1; inputs over 64 Ki elements are not run (the reader is what is fuzzed there).
      let shapes = model.graph.inputs.map { model.graph.tensors[$0].shape.map { max($0, 1) } }
      let counts = shapes.map { shape in
        shape.reduce(1) { count, d in count.multipliedReportingOverflow(by: d).overflow ? Int.max : count * d }
      }
      guard counts.allSatisfy({ $0 <= 1 << 16 }) else { return }
      _ = try interpreter.run(floats: zip(shapes, counts).map { (values: [Float](repeating: 0.5, count: $1), shape: $0) })
    },
    FuzzTarget("onnx", "an .onnx protobuf decoded and imported into a model") { data in
      let onnx = try ONNXModel(bytes: [UInt8](data), file: "fuzz.onnx")
      _ = try ONNXImporter.importModel(onnx, file: "fuzz.onnx")
    },
    FuzzTarget("manifest", "a model manifest (JSON), decoded and validated") { data in
      _ = try ModelManifest(json: String(decoding: data, as: UTF8.self), source: "fuzz.manifest.json")
    },
    FuzzTarget("labels-csv", "a labels file 'candid,label', as `braai train --alerts --labels` reads it") { data in
      _ = try LabelsCSV.parse(String(decoding: data, as: UTF8.self), source: "fuzz.csv")
    },
  ]
}
