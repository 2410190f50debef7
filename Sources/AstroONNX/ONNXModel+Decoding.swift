import Foundation

extension ONNXModel {
  /// Reads an ONNX model file; a malformed file is an `ONNXError.malformed` naming the message and field at fault.
  public static func read(path: String) throws -> ONNXModel {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ONNXError.malformed(file: path, "cannot read the file")
    }
    return try ONNXModel(bytes: [UInt8](data), file: path)
  }

  /// Decodes ONNX protobuf bytes (`file` names them in errors).
  public init(bytes: [UInt8], file: String = "model.onnx") throws {
    do {
      var r = ProtobufReader(bytes, path: "ModelProto")
      var model = ONNXModel(irVersion: 0, opsetImports: [], graph: ONNXGraph(name: ""))
      var sawGraph = false
      while let (field, wire) = try r.nextField() {
        switch field {
        case 1: model.irVersion = try r.int(wire, field: "ir_version")
        case 2: model.producerName = try r.string(wire, field: "producer_name")
        case 3: model.producerVersion = try r.string(wire, field: "producer_version")
        case 4: model.domain = try r.string(wire, field: "domain")
        case 5: model.modelVersion = try r.int(wire, field: "model_version")
        case 6: model.docString = try r.string(wire, field: "doc_string")
        case 7:
          var g = try r.message(wire, field: "graph")
          model.graph = try ONNXGraph(decoding: &g)
          sawGraph = true
        case 8:
          var o = try r.message(wire, field: "opset_import[\(model.opsetImports.count)]")
          var set = OperatorSet(version: 0)
          while let (f, w) = try o.nextField() {
            switch f {
            case 1: set.domain = try o.string(w, field: "domain")
            case 2: set.version = try o.int(w, field: "version")
            default: try o.skip(w)
            }
          }
          model.opsetImports.append(set)
        case 14:
          var e = try r.message(wire, field: "metadata_props[\(model.metadata.count)]")
          var entry = MetadataEntry(key: "", value: "")
          while let (f, w) = try e.nextField() {
            switch f {
            case 1: entry.key = try e.string(w, field: "key")
            case 2: entry.value = try e.string(w, field: "value")
            default: try e.skip(w)
            }
          }
          model.metadata.append(entry)
        default: try r.skip(wire)
        }
      }
      guard sawGraph else { throw r.failure("no graph (field 7): not an ONNX model") }
      guard model.irVersion > 0 else { throw r.failure("no ir_version (field 1): not an ONNX model") }
      self = model
    } catch let failure as ProtobufReader.Failure {
      throw ONNXError.malformed(file: file, "\(failure.path): \(failure.message)")
    }
  }
}

extension ONNXGraph {
  init(decoding r: inout ProtobufReader) throws {
    self.init(name: "")
    while let (field, wire) = try r.nextField() {
      switch field {
      case 1:
        var n = try r.message(wire, field: "node[\(nodes.count)]")
        nodes.append(try ONNXNode(decoding: &n))
      case 2: name = try r.string(wire, field: "name")
      case 5:
        var t = try r.message(wire, field: "initializer[\(initializers.count)]")
        initializers.append(try ONNXTensor(decoding: &t))
      case 10: docString = try r.string(wire, field: "doc_string")
      case 11:
        var v = try r.message(wire, field: "input[\(inputs.count)]")
        inputs.append(try ONNXValueInfo(decoding: &v))
      case 12:
        var v = try r.message(wire, field: "output[\(outputs.count)]")
        outputs.append(try ONNXValueInfo(decoding: &v))
      default: try r.skip(wire)
      }
    }
  }
}

extension ONNXNode {
  init(decoding r: inout ProtobufReader) throws {
    self.init("", inputs: [], outputs: [])
    while let (field, wire) = try r.nextField() {
      switch field {
      case 1: inputs.append(try r.string(wire, field: "input"))
      case 2: outputs.append(try r.string(wire, field: "output"))
      case 3: name = try r.string(wire, field: "name")
      case 4: opType = try r.string(wire, field: "op_type")
      case 5:
        var a = try r.message(wire, field: "attribute[\(attributes.count)]")
        attributes.append(try ONNXAttribute(decoding: &a))
      case 7: domain = try r.string(wire, field: "domain")
      default: try r.skip(wire)
      }
    }
    guard !opType.isEmpty else { throw r.failure("node without op_type") }
  }
}

extension ONNXAttribute {
  init(decoding r: inout ProtobufReader) throws {
    var name = "", type: Int64 = 0
    var f: Float?, i: Int64?, s: String?, t: ONNXTensor?
    var floats: [Float] = [], ints: [Int64] = [], strings: [String] = []
    while let (field, wire) = try r.nextField() {
      switch field {
      case 1: name = try r.string(wire, field: "name")
      case 2: f = try r.float(wire, field: "f")
      case 3: i = try r.int(wire, field: "i")
      case 4: s = String(decoding: try r.bytes(wire, field: "s"), as: UTF8.self)
      case 5:
        var m = try r.message(wire, field: "t")
        t = try ONNXTensor(decoding: &m)
      case 7: try r.repeatedFloats(wire, field: "floats", into: &floats)
      case 8: try r.repeatedInts(wire, field: "ints", into: &ints)
      case 9: strings.append(String(decoding: try r.bytes(wire, field: "strings"), as: UTF8.self))
      case 20: type = try r.int(wire, field: "type")
      default: try r.skip(wire)
      }
    }
    // IR 1 files may omit `type`: infer it from the one field set.
    if type == 0 {
      type = f != nil ? 1 : i != nil ? 2 : s != nil ? 3 : t != nil ? 4 : !floats.isEmpty ? 6 : !ints.isEmpty ? 7 : !strings.isEmpty ? 8 : 0
    }
    let value: Value
    switch type {
    case 1: value = .float(f ?? 0)
    case 2: value = .int(i ?? 0)
    case 3: value = .string(s ?? "")
    case 4:
      guard let t else { throw r.failure("attribute '\(name)' of type TENSOR without a tensor") }
      value = .tensor(t)
    case 6: value = .floats(floats)
    case 7: value = .ints(ints)
    case 8: value = .strings(strings)
    default: value = .other(type: type)
    }
    self.init(name, value)
  }
}

extension ONNXTensor {
  init(decoding r: inout ProtobufReader) throws {
    var dims: [Int64] = [], dataType: Int64 = 0, name = "", raw: [UInt8]?
    var floatData: [Float] = [], int32Data: [Int64] = [], int64Data: [Int64] = [], doubleData: [Double] = []
    var external = false
    while let (field, wire) = try r.nextField() {
      switch field {
      case 1: try r.repeatedInts(wire, field: "dims", into: &dims)
      case 2: dataType = try r.int(wire, field: "data_type")
      case 4: try r.repeatedFloats(wire, field: "float_data", into: &floatData)
      case 5: try r.repeatedInts(wire, field: "int32_data", into: &int32Data)
      case 7: try r.repeatedInts(wire, field: "int64_data", into: &int64Data)
      case 8: name = try r.string(wire, field: "name")
      case 9: raw = try r.bytes(wire, field: "raw_data")
      case 10: try r.repeatedDoubles(wire, field: "double_data", into: &doubleData)
      case 13: external = true; try r.skip(wire)
      case 14: if try r.int(wire, field: "data_location") == 1 { external = true }
      default: try r.skip(wire)
      }
    }
    let label = "tensor '\(name)'"
    guard !external else { throw r.failure("\(label) keeps its data in an external file, which is not read") }
    guard let type = DataType(rawValue: Int32(truncatingIfNeeded: dataType)) else {
      throw r.failure("\(label) has data_type \(dataType); supported: \(DataType.allCases.map { "\($0)" }.joined(separator: ", "))")
    }
    guard dims.allSatisfy({ $0 >= 0 && $0 < 1 << 40 }) else { throw r.failure("\(label) has dims \(dims)") }
    var count = 1
    for d in dims {
      let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
      guard !overflow, product < 1 << 40 else { throw r.failure("\(label) has dims \(dims): too many elements") }
      count = product
    }
    if let raw {
      self.init(name: name, dims: dims.map(Int.init), dataType: type, raw: raw)
    } else {
      var bytes: [UInt8] = []
      func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
      switch type {
      case .float: for v in floatData { append(v.bitPattern) }
      case .double: for v in doubleData { append(v.bitPattern) }
      case .int64: for v in int64Data { append(v) }
      case .int32: for v in int32Data { append(Int32(truncatingIfNeeded: v)) }
      case .int16, .uint16: for v in int32Data { append(UInt16(truncatingIfNeeded: v)) }
      case .int8, .uint8, .bool: for v in int32Data { append(UInt8(truncatingIfNeeded: v)) }
      }
      self.init(name: name, dims: dims.map(Int.init), dataType: type, raw: bytes)
    }
    guard self.raw.count == count * type.size else {
      throw r.failure("\(label) of dims \(dims) (\(count) \(type) elements) holds \(self.raw.count) bytes of data")
    }
  }

  /// Reads a `TensorProto` on its own (the `.pb` files of ONNX's test cases).
  public static func read(path: String) throws -> ONNXTensor {
    guard let data = FileManager.default.contents(atPath: path) else { throw ONNXError.malformed(file: path, "cannot read the file") }
    do {
      var r = ProtobufReader([UInt8](data), path: "TensorProto")
      return try ONNXTensor(decoding: &r)
    } catch let failure as ProtobufReader.Failure {
      throw ONNXError.malformed(file: path, "\(failure.path): \(failure.message)")
    }
  }
}

extension ONNXValueInfo {
  init(decoding r: inout ProtobufReader) throws {
    self.init(name: "", elementType: 0, shape: nil)
    while let (field, wire) = try r.nextField() {
      switch field {
      case 1: name = try r.string(wire, field: "name")
      case 2:
        var type = try r.message(wire, field: "type")
        while let (f, w) = try type.nextField() {
          guard f == 1 else { try type.skip(w); continue }
          var tensor = try type.message(w, field: "tensor_type")
          while let (tf, tw) = try tensor.nextField() {
            switch tf {
            case 1: elementType = Int32(truncatingIfNeeded: try tensor.int(tw, field: "elem_type"))
            case 2:
              var s = try tensor.message(tw, field: "shape")
              var dims: [Dimension] = []
              while let (sf, sw) = try s.nextField() {
                guard sf == 1 else { try s.skip(sw); continue }
                var d = try s.message(sw, field: "dim[\(dims.count)]")
                var dim = Dimension.unknown
                while let (df, dw) = try d.nextField() {
                  switch df {
                  case 1: dim = .value(Int(try d.int(dw, field: "dim_value")))
                  case 2: dim = .parameter(try d.string(dw, field: "dim_param"))
                  default: try d.skip(dw)
                  }
                }
                dims.append(dim)
              }
              shape = dims
            default: try tensor.skip(tw)
            }
          }
        }
      default: try r.skip(wire)
      }
    }
  }
}
