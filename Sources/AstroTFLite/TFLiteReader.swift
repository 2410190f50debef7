import AstroInt8
import Foundation

/// A `.tflite` model read into a `QuantizedGraph`, with what the file says about itself.
public struct TFLiteModel: Sendable {
  /// The model's (first) subgraph.
  public var graph: QuantizedGraph
  /// Each operator's version, as the file declares it (parallel to `graph.operators`).
  public var operatorVersions: [Int]
  /// Subgraphs in the file (only the first one is read).
  public var subgraphCount: Int
  /// Whether some tensor's shape signature leaves a dimension open (−1): LiteRT resizes it, the Edge TPU
  /// compiler refuses it.
  public var hasDynamicShapes: Bool
  /// The model's `metadata` entries: name → the bytes of the buffer it points to (`astrolearn.manifest`,
  /// `min_runtime_version`, TFLite Support's `TFLITE_METADATA`, ...).
  public var metadata: [String: [UInt8]] = [:]

  /// Whether the graph contains an Edge TPU compiled region (`edgetpu-custom-op`).
  public var isEdgeTPUCompiled: Bool {
    graph.operators.contains { if case .custom("edgetpu-custom-op", _) = $0.operation { return true } else { return false } }
  }

  /// Reads a `.tflite` file.
  /// - Throws: `TFLiteError` naming the file and the field at fault.
  public static func read(path: String) throws -> TFLiteModel {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw TFLiteError.malformed(file: path, "cannot read the file")
    }
    return try TFLiteModel(bytes: [UInt8](data), source: path)
  }

  /// Parses the bytes of a `.tflite` file; `source` names it in errors.
  public init(bytes: [UInt8], source: String = "<memory>") throws {
    let reader = FlatBufferReader(bytes, source: source)
    guard bytes.count >= 8 else { throw reader.fail("\(bytes.count) bytes is too short for a flatbuffer") }
    guard Array(bytes[4..<8]) == TFLiteSchema.identifier else {
      throw reader.fail("file identifier '\(String(decoding: bytes[4..<8], as: UTF8.self))', expected 'TFL3'")
    }
    let model = try reader.root("Model")
    let version = try model.u32(0, "version")
    guard version == TFLiteSchema.version else {
      throw TFLiteError.unsupported(file: source, "schema version \(version); this reader reads version 3")
    }
    let codes = try model.tables(1, "operator_codes").enumerated().map { k, code -> (Int, String?, Int) in
      let deprecated = Int(Int8(bitPattern: try code.u8(0, "deprecated_builtin_code")))
      let builtin = Int(try code.i32(3, "builtin_code"))
      return (max(builtin, deprecated), try code.string(1, "custom_code"), Int(try code.i32(2, "version", default: 1)))
    }
    let subgraphs = try model.tables(2, "subgraphs")
    guard let subgraph = subgraphs.first else { throw reader.fail("the model has no subgraph") }
    let buffers = try model.tables(4, "buffers")
    let description = try model.string(3, "description") ?? ""

    let tensorTables = try subgraph.tables(0, "tensors")
    let tensors = try tensorTables.enumerated().map { k, table in
      try Self.tensor(table, index: k, buffers: buffers, reader: reader)
    }
    hasDynamicShapes = try tensorTables.contains { try ($0.int32s(7, "shape_signature") ?? []).contains(-1) }
    let inputs = try subgraph.int32s(1, "inputs") ?? []
    let outputs = try subgraph.int32s(2, "outputs") ?? []
    var operators = [GraphOperator](), versions = [Int]()
    for (k, table) in try subgraph.tables(3, "operators").enumerated() {
      let codeIndex = Int(try table.u32(0, "opcode_index"))
      guard codes.indices.contains(codeIndex) else {
        throw reader.fail("operator \(k) uses operator code \(codeIndex); the file has \(codes.count)")
      }
      let (builtin, custom, version) = codes[codeIndex]
      let operation = try Self.operation(builtin: builtin, custom: custom, table: table, label: "operator \(k)",
                                         reader: reader)
      let opInputs = try (table.int32s(1, "inputs") ?? []).map(Int.init)
      let opOutputs = try (table.int32s(2, "outputs") ?? []).map(Int.init)
      for index in opInputs + opOutputs where index < -1 || index >= tensors.count {
        throw reader.fail("operator \(k) (\(operation.name)) refers to tensor \(index); the subgraph has \(tensors.count)")
      }
      operators.append(GraphOperator(operation, inputs: opInputs, outputs: opOutputs))
      versions.append(version)
    }
    for index in inputs + outputs where !tensors.indices.contains(Int(index)) {
      throw reader.fail("subgraph input/output \(index) is not one of its \(tensors.count) tensors")
    }
    graph = QuantizedGraph(tensors: tensors, operators: operators, inputs: inputs.map(Int.init),
                           outputs: outputs.map(Int.init), description: description)
    operatorVersions = versions
    subgraphCount = subgraphs.count
    for (k, entry) in try model.tables(6, "metadata").enumerated() {
      let name = try entry.string(0, "name") ?? ""
      let index = Int(try entry.u32(1, "buffer"))
      guard buffers.indices.contains(index) else {
        throw reader.fail("metadata \(k) '\(name)' points to buffer \(index); the file has \(buffers.count)")
      }
      metadata[name] = try buffers[index].bytes(0, "data") ?? []
    }
  }

  private static func tensor(_ table: FlatBufferReader.Table, index: Int, buffers: [FlatBufferReader.Table],
                             reader: FlatBufferReader) throws -> GraphTensor {
    let name = try table.string(3, "name") ?? "tensor\(index)"
    let label = "tensor \(index) '\(name)'"
    let rawType = Int(try table.u8(1, "type"))
    guard let type = ElementType(rawValue: rawType) else {
      throw TFLiteError.unsupported(file: reader.source, "\(label) has element type \(rawType), not one of FLOAT32, INT32, UINT8, INT64, INT8")
    }
    let shape = try (table.int32s(0, "shape") ?? []).map(Int.init)
    guard shape.allSatisfy({ $0 >= 0 }) else { throw reader.fail("\(label) has shape \(shape)") }
    var quantization: Quantization?
    if let q = try table.table(4, "quantization"), let scales = try q.floats(2, "scale"), !scales.isEmpty {
      let zeroPoints = try (q.int64s(3, "zero_point") ?? []).map { Int(clamping: $0) }
      let dimension = Int(try q.i32(6, "quantized_dimension"))
      guard zeroPoints.count == scales.count else {
        throw reader.fail("\(label): \(scales.count) scales but \(zeroPoints.count) zero points")
      }
      guard scales.count == 1 || (shape.indices.contains(dimension) && shape[dimension] == scales.count) else {
        throw reader.fail("\(label): \(scales.count) scales along dimension \(dimension) of shape \(shape)")
      }
      quantization = Quantization(scales: scales, zeroPoints: zeroPoints, dimension: dimension)
    }
    var data: [UInt8]?
    let bufferIndex = Int(try table.u32(2, "buffer"))
    if bufferIndex != 0 {
      guard buffers.indices.contains(bufferIndex) else {
        throw reader.fail("\(label) uses buffer \(bufferIndex); the file has \(buffers.count)")
      }
      let buffer = buffers[bufferIndex]
      if let bytes = try buffer.bytes(0, "data"), !bytes.isEmpty {
        data = bytes
      } else {
        let offset = try buffer.u64(1, "offset"), size = try buffer.u64(2, "size")
        if offset > 1 {
          guard offset < UInt64(reader.bytes.count), size <= UInt64(reader.bytes.count) - offset else {
            throw reader.fail("\(label): buffer \(bufferIndex) lies outside the file")
          }
          data = Array(reader.bytes[Int(offset)..<Int(offset + size)])
        }
      }
      if let data {
        guard let count = TensorValues.count(of: shape), count.multipliedReportingOverflow(by: type.size) == (data.count, false)
        else {
          throw reader.fail("\(label): \(data.count) bytes of data for \(type.name) \(shape)")
        }
      }
    }
    return GraphTensor(name: name, shape: shape, type: type, quantization: quantization, data: data)
  }

  private static func operation(builtin: Int, custom: String?, table: FlatBufferReader.Table, label: String,
                                reader: FlatBufferReader) throws -> GraphOperation {
    let file = reader.source
    let options = try table.table(4, "builtin_options")
    let optionsType = try table.u8(3, "builtin_options_type")
    func require(_ type: UInt8, _ name: String) throws -> FlatBufferReader.Table? {
      guard let options else { return nil }
      guard optionsType == type else {
        throw reader.fail("\(label) (\(name)) carries builtin options of type \(optionsType), expected \(type)")
      }
      return options
    }
    func activation(_ table: FlatBufferReader.Table?, _ id: Int) throws -> FusedActivation {
      try TFLiteSchema.activation(try table?.u8(id, "fused_activation_function") ?? 0, label, file: file)
    }
    typealias B = TFLiteSchema.Builtin
    switch builtin {
    case B.conv2D:
      let o = try require(TFLiteSchema.Options.conv2D, "CONV_2D")
      return .conv2D(ConvolutionOptions(
        padding: try TFLiteSchema.padding(try o?.u8(0, "padding") ?? 0, label, file: file),
        strideHeight: Int(try o?.i32(2, "stride_h") ?? 0), strideWidth: Int(try o?.i32(1, "stride_w") ?? 0),
        dilationHeight: Int(try o?.i32(5, "dilation_h_factor", default: 1) ?? 1),
        dilationWidth: Int(try o?.i32(4, "dilation_w_factor", default: 1) ?? 1), activation: try activation(o, 3)))
    case B.fullyConnected:
      let o = try require(TFLiteSchema.Options.fullyConnected, "FULLY_CONNECTED")
      if let format = try o?.u8(1, "weights_format"), format != 0 {
        throw TFLiteError.unsupported(file: file, "\(label): FULLY_CONNECTED weights format \(format) (only DEFAULT)")
      }
      return .fullyConnected(activation: try activation(o, 0), keepNumDims: try o?.bool(2, "keep_num_dims") ?? false)
    case B.maxPool2D, B.averagePool2D:
      let o = try require(TFLiteSchema.Options.pool2D, "POOL_2D")
      let pool = PoolOptions(
        padding: try TFLiteSchema.padding(try o?.u8(0, "padding") ?? 0, label, file: file),
        strideHeight: Int(try o?.i32(2, "stride_h") ?? 0), strideWidth: Int(try o?.i32(1, "stride_w") ?? 0),
        filterHeight: Int(try o?.i32(4, "filter_height") ?? 0), filterWidth: Int(try o?.i32(3, "filter_width") ?? 0),
        activation: try activation(o, 5))
      return builtin == B.maxPool2D ? .maxPool2D(pool) : .averagePool2D(pool)
    case B.mean:
      let o = try require(TFLiteSchema.Options.reducer, "MEAN")
      return .mean(keepDims: try o?.bool(0, "keep_dims") ?? false)
    case B.add:
      let o = try require(TFLiteSchema.Options.add, "ADD")
      return .add(activation: try activation(o, 0))
    case B.mul:
      let o = try require(TFLiteSchema.Options.mul, "MUL")
      return .mul(activation: try activation(o, 0))
    case B.concatenation:
      let o = try require(TFLiteSchema.Options.concatenation, "CONCATENATION")
      return .concatenation(axis: Int(try o?.i32(0, "axis") ?? 0), activation: try activation(o, 1))
    case B.pad: return .pad
    case B.reshape:
      let o = try require(TFLiteSchema.Options.reshape, "RESHAPE")
      return .reshape(newShape: try o?.int32s(0, "new_shape").map { $0.map(Int.init) })
    case B.logistic: return .logistic
    case B.softmax:
      let o = try require(TFLiteSchema.Options.softmax, "SOFTMAX")
      return .softmax(beta: try o?.f32(0, "beta") ?? 0)
    case B.quantize: return .quantize
    case B.dequantize: return .dequantize
    case B.shape:
      let raw = Int(try options?.u8(0, "out_type") ?? 2)
      guard let type = ElementType(rawValue: raw), type == .int32 || type == .int64 else {
        throw TFLiteError.unsupported(file: file, "\(label): SHAPE output type \(raw)")
      }
      return .shape(outputType: type)
    case B.stridedSlice:
      return .stridedSlice(StridedSliceOptions(
        beginMask: Int(try options?.i32(0, "begin_mask") ?? 0), endMask: Int(try options?.i32(1, "end_mask") ?? 0),
        ellipsisMask: Int(try options?.i32(2, "ellipsis_mask") ?? 0),
        newAxisMask: Int(try options?.i32(3, "new_axis_mask") ?? 0),
        shrinkAxisMask: Int(try options?.i32(4, "shrink_axis_mask") ?? 0), offset: try options?.bool(5, "offset") ?? false))
    case B.pack:
      return .pack(axis: Int(try options?.i32(1, "axis") ?? 0))
    case B.custom:
      return .custom(code: custom ?? "", options: try table.bytes(5, "custom_options") ?? [])
    default:
      return .unsupported(builtinCode: builtin, name: TFLiteSchema.name(ofBuiltin: builtin))
    }
  }
}
