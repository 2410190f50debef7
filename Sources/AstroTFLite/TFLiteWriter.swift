import AstroIO
import AstroInt8

/// Writes quantized graphs as `.tflite` files that LiteRT (and the Edge TPU compiler) load: schema version 3,
/// both operator-code fields filled, the minimal operator versions TensorFlow's converter writes, weights in
/// 16-byte-aligned buffers.
public enum TFLiteWriter {
  /// How the batch dimension is written.
  public enum Batch: Sendable {
    /// Batch 1 with static shapes, as the Edge TPU requires.
    case fixedOne
    /// Batch 1 in `shape` and −1 in `shape_signature`: LiteRT resizes the input to any batch.
    case dynamic
  }

  /// The bytes of a `.tflite` file holding `graph`.
  /// - Throws: `TFLiteError.cannotWrite` for an operator TFLite's builtins cannot express (e.g. an unsupported one read
  ///   from another file).
  ///
  /// `metadata` entries (name and bytes) go to the model's `metadata` list, each in a buffer of its own, as
  /// TFLite's metadata writers store theirs (the AstroLearn manifest is `astrolearn.manifest`).
  public static func encode(_ graph: QuantizedGraph, batch: Batch = .dynamic, metadata: [(name: String, data: [UInt8])] = []) throws -> [UInt8] {
    var codes = [OperatorCodeKey]()
    var operators = [FlatBufferWriter.Object]()
    for (k, op) in graph.operators.enumerated() {
      let key = try OperatorCodeKey(op, graph: graph, label: "operator \(k) (\(op.operation.name))")
      let index = codes.firstIndex(of: key) ?? { codes.append(key); return codes.count - 1 }()
      var fields: [Int: FlatBufferWriter.Field] = [
        0: .u32(UInt32(index)),
        1: .object(.int32s(op.inputs.map { Int32($0) })),
        2: .object(.int32s(op.outputs.map { Int32($0) })),
      ]
      if let (type, options) = builtinOptions(op) {
        fields[3] = .u8(type)
        fields[4] = .object(.table(options))
      }
      if case .custom(_, let options) = op.operation, !options.isEmpty {
        fields[5] = .object(.bytes(options, alignment: 1))
      }
      operators.append(.table(fields))
    }

    var buffers: [FlatBufferWriter.Object] = [.table([:])]
    var tensors = [FlatBufferWriter.Object]()
    for tensor in graph.tensors {
      var fields: [Int: FlatBufferWriter.Field] = [
        0: .object(.int32s(tensor.shape.map { Int32($0) })),
        1: .u8(UInt8(tensor.type.rawValue)),
        3: .object(.string(tensor.name)),
      ]
      if let data = tensor.data {
        fields[2] = .u32(UInt32(buffers.count))
        buffers.append(.table([0: .object(.bytes(data, alignment: 16))]))
      } else if batch == .dynamic, tensor.shape.count >= 2, tensor.shape[0] == 1 {
        fields[7] = .object(.int32s([-1] + tensor.shape.dropFirst().map { Int32($0) }))
      }
      if let q = tensor.quantization {
        fields[4] = .object(.table([
          2: .object(.floats(q.scales)), 3: .object(.int64s(q.zeroPoints.map { Int64($0) })),
          6: .i32(Int32(q.dimension)),
        ]))
      }
      tensors.append(.table(fields))
    }

    let subgraph: FlatBufferWriter.Object = .table([
      0: .object(.tables(tensors)),
      1: .object(.int32s(graph.inputs.map { Int32($0) })),
      2: .object(.int32s(graph.outputs.map { Int32($0) })),
      3: .object(.tables(operators)),
      4: .object(.string("main")),
    ])
    var entries = [FlatBufferWriter.Object]()
    for entry in metadata {
      entries.append(.table([0: .object(.string(entry.name)), 1: .u32(UInt32(buffers.count))]))
      buffers.append(.table([0: .object(.bytes(entry.data, alignment: 16))]))
    }
    var fields: [Int: FlatBufferWriter.Field] = [
      0: .u32(TFLiteSchema.version),
      1: .object(.tables(codes.map(\.table))),
      2: .object(.tables([subgraph])),
      3: .object(.string(graph.description.isEmpty ? "AstroLearn" : graph.description)),
      4: .object(.tables(buffers)),
    ]
    if !entries.isEmpty { fields[6] = .object(.tables(entries)) }
    let model: FlatBufferWriter.Object = .table(fields)
    return FlatBufferWriter.encode(root: model, identifier: TFLiteSchema.identifier)
  }

  /// Writes `graph` to `path` atomically.
  public static func write(
    _ graph: QuantizedGraph, to path: String, batch: Batch = .dynamic, metadata: [(name: String, data: [UInt8])] = []
  ) throws {
    let bytes = try encode(graph, batch: batch, metadata: metadata)
    do {
      try AtomicFile.write([Data(bytes)], to: path)
    } catch let failure as AtomicFile.Failure {
      throw TFLiteError.cannotWrite("\(path): \(failure.message)")
    }
  }

  /// The builtin options table of an operation (union type and fields), or nil for operators without options.
  static func builtinOptions(_ op: GraphOperator) -> (UInt8, [Int: FlatBufferWriter.Field])? {
    typealias O = TFLiteSchema.Options
    switch op.operation {
    case .conv2D(let o):
      return (O.conv2D, [0: .u8(UInt8(o.padding.rawValue)), 1: .i32(Int32(o.strideWidth)), 2: .i32(Int32(o.strideHeight)),
                         3: .u8(UInt8(o.activation.rawValue)), 4: .i32(Int32(o.dilationWidth)), 5: .i32(Int32(o.dilationHeight))])
    case .fullyConnected(let activation, let keepNumDims):
      return (O.fullyConnected, [0: .u8(UInt8(activation.rawValue)), 2: .bool(keepNumDims)])
    case .maxPool2D(let o), .averagePool2D(let o):
      return (O.pool2D, [0: .u8(UInt8(o.padding.rawValue)), 1: .i32(Int32(o.strideWidth)), 2: .i32(Int32(o.strideHeight)),
                         3: .i32(Int32(o.filterWidth)), 4: .i32(Int32(o.filterHeight)), 5: .u8(UInt8(o.activation.rawValue))])
    case .mean(let keepDims): return (O.reducer, [0: .bool(keepDims)])
    case .add(let activation): return (O.add, [0: .u8(UInt8(activation.rawValue))])
    case .mul(let activation): return (O.mul, [0: .u8(UInt8(activation.rawValue))])
    case .concatenation(let axis, let activation):
      return (O.concatenation, [0: .i32(Int32(axis)), 1: .u8(UInt8(activation.rawValue))])
    case .pad: return (O.pad, [:])
    case .reshape(let newShape):
      return (O.reshape, newShape.map { [0: .object(.int32s($0.map { Int32($0) }))] } ?? [:])
    case .softmax(let beta): return (O.softmax, [0: .f32(beta)])
    case .quantize: return (O.quantize, [:])
    case .dequantize: return (O.dequantize, [:])
    case .shape(let type): return (O.shape, [0: .u8(UInt8(type.rawValue))])
    case .stridedSlice(let o):
      return (O.stridedSlice, [0: .i32(Int32(o.beginMask)), 1: .i32(Int32(o.endMask)), 2: .i32(Int32(o.ellipsisMask)),
                               3: .i32(Int32(o.newAxisMask)), 4: .i32(Int32(o.shrinkAxisMask)), 5: .bool(o.offset)])
    case .pack(let axis): return (O.pack, [0: .i32(Int32(op.inputs.count)), 1: .i32(Int32(axis))])
    case .logistic, .custom, .unsupported: return nil
    }
  }
}

/// One entry of the model's operator codes: builtin code, custom code and version.
struct OperatorCodeKey: Equatable {
  let builtin: Int
  let custom: String?
  let version: Int

  init(_ op: GraphOperator, graph: QuantizedGraph, label: String) throws {
    typealias B = TFLiteSchema.Builtin
    let inputType = op.inputs.first.flatMap { $0 >= 0 ? graph.tensors[$0].type : nil }
    let int8 = inputType == .int8
    var custom: String?
    switch op.operation {
    case .conv2D: (builtin, version) = (B.conv2D, int8 ? 3 : 1)
    case .fullyConnected(_, let keepNumDims):
      // Version 6 is for operators listing only two inputs; an absent bias written as −1 keeps version 4.
      (builtin, version) = (B.fullyConnected, int8 ? (op.inputs.count == 2 ? 6 : keepNumDims ? 5 : 4) : 1)
    case .maxPool2D: (builtin, version) = (B.maxPool2D, int8 ? 2 : 1)
    case .averagePool2D: (builtin, version) = (B.averagePool2D, int8 ? 2 : 1)
    case .mean: (builtin, version) = (B.mean, int8 ? 2 : 1)
    case .add: (builtin, version) = (B.add, int8 ? 2 : 1)
    case .mul: (builtin, version) = (B.mul, int8 ? 2 : 1)
    case .concatenation: (builtin, version) = (B.concatenation, int8 ? 2 : 1)
    case .pad: (builtin, version) = (B.pad, int8 ? 2 : 1)
    case .reshape: (builtin, version) = (B.reshape, 1)
    case .logistic: (builtin, version) = (B.logistic, int8 ? 2 : 1)
    case .softmax: (builtin, version) = (B.softmax, int8 ? 2 : 1)
    case .quantize: (builtin, version) = (B.quantize, 1)
    case .dequantize: (builtin, version) = (B.dequantize, int8 ? 2 : 1)
    case .shape: (builtin, version) = (B.shape, 1)
    case .stridedSlice: (builtin, version) = (B.stridedSlice, 1)
    case .pack: (builtin, version) = (B.pack, 1)
    case .custom(let code, _): (builtin, version, custom) = (B.custom, 1, code)
    case .unsupported(_, let name):
      throw TFLiteError.cannotWrite("\(label): \(name) is not an operator this library writes")
    }
    self.custom = custom
  }

  /// Both code fields hold the code (every operator here is below 127), so pre-3a readers see it too.
  var table: FlatBufferWriter.Object {
    var fields: [Int: FlatBufferWriter.Field] = [
      0: .u8(UInt8(builtin)), 2: .i32(Int32(version)), 3: .i32(Int32(builtin)),
    ]
    if let custom { fields[1] = .object(.string(custom)) }
    return .table(fields)
  }
}

import Foundation
