import AstroIO
import Foundation

// Field numbers from onnx.proto3 (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto).
extension ONNXModel {
  /// The model as ONNX protobuf bytes.
  public func encoded() -> [UInt8] {
    var w = ProtobufWriter()
    w.int(1, irVersion)
    if !producerName.isEmpty { w.string(2, producerName) }
    if !producerVersion.isEmpty { w.string(3, producerVersion) }
    if !domain.isEmpty { w.string(4, domain) }
    if modelVersion != 0 { w.int(5, modelVersion) }
    if !docString.isEmpty { w.string(6, docString) }
    w.message(7) { graph.encode(into: &$0) }
    for set in opsetImports {
      w.message(8) { o in
        if !set.domain.isEmpty { o.string(1, set.domain) }
        o.int(2, set.version)
      }
    }
    for entry in metadata {
      w.message(14) { e in
        e.string(1, entry.key)
        e.string(2, entry.value)
      }
    }
    return w.bytes
  }

  /// Writes the model to `path` atomically (a failed write leaves any existing file as it was).
  public func write(to path: String) throws {
    do {
      try AtomicFile.write([Data(encoded())], to: path)
    } catch let failure as AtomicFile.Failure {
      throw ONNXError.cannotExport("\(path): \(failure.message)")
    }
  }
}

extension ONNXGraph {
  func encode(into w: inout ProtobufWriter) {
    for node in nodes { w.message(1) { node.encode(into: &$0) } }
    w.string(2, name)
    for tensor in initializers { w.message(5) { tensor.encode(into: &$0) } }
    if !docString.isEmpty { w.string(10, docString) }
    for input in inputs { w.message(11) { input.encode(into: &$0) } }
    for output in outputs { w.message(12) { output.encode(into: &$0) } }
  }
}

extension ONNXNode {
  func encode(into w: inout ProtobufWriter) {
    for input in inputs { w.string(1, input) }
    for output in outputs { w.string(2, output) }
    if !name.isEmpty { w.string(3, name) }
    w.string(4, opType)
    for attribute in attributes { w.message(5) { attribute.encode(into: &$0) } }
    if !domain.isEmpty { w.string(7, domain) }
  }
}

extension ONNXAttribute {
  func encode(into w: inout ProtobufWriter) {
    w.string(1, name)
    switch value {
    case .float(let f): w.float(2, f); w.int(20, 1)
    case .int(let i): w.int(3, i); w.int(20, 2)
    case .string(let s): w.string(4, s); w.int(20, 3)
    case .tensor(let t): w.message(5) { t.encode(into: &$0) }; w.int(20, 4)
    case .floats(let fs): w.packedFloats(7, fs); w.int(20, 6)
    case .ints(let xs): w.packedInts(8, xs); w.int(20, 7)
    case .strings(let ss): for s in ss { w.string(9, s) }; w.int(20, 8)
    case .other(let type): w.int(20, type)
    }
  }
}

extension ONNXTensor {
  func encode(into w: inout ProtobufWriter) {
    w.packedInts(1, dims.map(Int64.init))
    w.int(2, Int64(dataType.rawValue))
    if !name.isEmpty { w.string(8, name) }
    w.bytes(9, raw)
  }
}

extension ONNXValueInfo {
  func encode(into w: inout ProtobufWriter) {
    w.string(1, name)
    w.message(2) { type in
      type.message(1) { tensor in
        tensor.int(1, Int64(elementType))
        if let shape {
          tensor.message(2) { s in
            for dim in shape {
              s.message(1) { d in
                switch dim {
                case .value(let n): d.int(1, Int64(n))
                case .parameter(let p): d.string(2, p)
                case .unknown: break
                }
              }
            }
          }
        }
      }
    }
  }
}
