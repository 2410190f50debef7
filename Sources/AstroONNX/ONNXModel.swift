/// An ONNX model file's content (the `ModelProto` messages this library reads and writes), independent of any
/// runtime: what `ONNXModel.read` decodes, what the exporter builds and `write` encodes.
public struct ONNXModel: Sendable, Equatable {
  /// The IR version stamped in the file (8 by default: onnxruntime 1.31 reads 3 to 13 and refuses 14).
  public var irVersion: Int64
  /// The operator sets the graph uses (`""` is the default domain, `ai.onnx`).
  public var opsetImports: [OperatorSet]
  public var producerName: String
  public var producerVersion: String
  public var domain: String
  public var modelVersion: Int64
  public var docString: String
  public var graph: ONNXGraph
  /// `metadata_props`: key/value strings (the AstroLearn manifest is stored under `astrolearn.manifest`).
  public var metadata: [MetadataEntry]

  /// A model with the given content.
  public init(
    irVersion: Int64, opsetImports: [OperatorSet], producerName: String = "", producerVersion: String = "",
    domain: String = "", modelVersion: Int64 = 0, docString: String = "", graph: ONNXGraph, metadata: [MetadataEntry] = []
  ) {
    self.irVersion = irVersion; self.opsetImports = opsetImports; self.producerName = producerName
    self.producerVersion = producerVersion; self.domain = domain; self.modelVersion = modelVersion
    self.docString = docString; self.graph = graph; self.metadata = metadata
  }

  /// The version of the default (`ai.onnx`) operator set, which decides each operator's semantics.
  public var defaultOpset: Int64? { opsetImports.first { $0.domain == "" || $0.domain == "ai.onnx" }?.version }

  /// The value of metadata entry `key`, if present.
  public func metadata(_ key: String) -> String? { metadata.last { $0.key == key }?.value }

  /// An operator set import: a domain and its version.
  public struct OperatorSet: Sendable, Equatable {
    public var domain: String
    public var version: Int64
    public init(domain: String = "", version: Int64) { self.domain = domain; self.version = version }
  }

  /// One `metadata_props` entry.
  public struct MetadataEntry: Sendable, Equatable {
    public var key: String
    public var value: String
    public init(key: String, value: String) { self.key = key; self.value = value }
  }
}

/// A graph: nodes in topological order, constant tensors (initializers), and the typed inputs and outputs.
public struct ONNXGraph: Sendable, Equatable {
  public var name: String
  public var nodes: [ONNXNode]
  public var initializers: [ONNXTensor]
  public var inputs: [ONNXValueInfo]
  public var outputs: [ONNXValueInfo]
  public var docString: String

  public init(
    name: String, nodes: [ONNXNode] = [], initializers: [ONNXTensor] = [], inputs: [ONNXValueInfo] = [],
    outputs: [ONNXValueInfo] = [], docString: String = ""
  ) {
    self.name = name; self.nodes = nodes; self.initializers = initializers; self.inputs = inputs
    self.outputs = outputs; self.docString = docString
  }

  /// The graph inputs that are not also initializers (IR 3 files list every weight as an input too).
  public var realInputs: [ONNXValueInfo] {
    let constants = Set(initializers.map(\.name))
    return inputs.filter { !constants.contains($0.name) }
  }
}

/// One operator application.
public struct ONNXNode: Sendable, Equatable {
  /// Value names read (an empty name is an omitted optional input).
  public var inputs: [String]
  public var outputs: [String]
  public var name: String
  /// The operator (`Conv`, `Gemm`, ...).
  public var opType: String
  public var domain: String
  public var attributes: [ONNXAttribute]

  public init(
    _ opType: String, inputs: [String], outputs: [String], name: String = "", domain: String = "",
    attributes: [ONNXAttribute] = []
  ) {
    self.opType = opType; self.inputs = inputs; self.outputs = outputs; self.name = name; self.domain = domain
    self.attributes = attributes
  }

  /// The attribute called `name`, if present.
  public func attribute(_ name: String) -> ONNXAttribute.Value? { attributes.first { $0.name == name }?.value }

  /// How error messages name this node: `Conv node 'conv1'` (or its first output when unnamed).
  public var label: String { "\(opType) node '\(name.isEmpty ? (outputs.first ?? "?") : name)'" }
}

/// A node attribute.
public struct ONNXAttribute: Sendable, Equatable {
  public var name: String
  public var value: Value

  public init(_ name: String, _ value: Value) { self.name = name; self.value = value }

  /// The attribute types this library reads and writes; a graph-valued or sparse attribute is kept by type only.
  public enum Value: Sendable, Equatable {
    case float(Float)
    case int(Int64)
    case string(String)
    case tensor(ONNXTensor)
    case floats([Float])
    case ints([Int64])
    case strings([String])
    /// An attribute of another type (AttributeProto.type), which no importable operator uses.
    case other(type: Int64)
  }
}

/// A typed, named tensor: an initializer, a `Constant`'s value or a test case's data.
public struct ONNXTensor: Sendable, Equatable {
  public var name: String
  public var dims: [Int]
  public var dataType: DataType
  /// The elements, little-endian, row-major (TensorProto's `raw_data`; typed fields are converted on reading).
  public var raw: [UInt8]

  /// TensorProto.DataType values this library reads and writes.
  public enum DataType: Int32, Sendable, CaseIterable {
    case float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7, bool = 9, double = 11

    /// Bytes per element.
    public var size: Int {
      switch self {
      case .uint8, .int8, .bool: return 1
      case .uint16, .int16: return 2
      case .float, .int32: return 4
      case .int64, .double: return 8
      }
    }
  }

  /// Number of elements (the product of `dims`; 1 for a scalar); `Int.max` when the product overflows.
  public var count: Int {
    dims.reduce(1) { product, d in
      let (next, overflow) = product.multipliedReportingOverflow(by: d)
      return overflow || d < 0 ? Int.max : next
    }
  }

  /// Whether `raw` holds exactly `count` elements of `dataType`.
  var holdsItsElements: Bool {
    let (bytes, overflow) = count.multipliedReportingOverflow(by: dataType.size)
    return !overflow && bytes == raw.count
  }

  /// A float tensor.
  public init(name: String, dims: [Int], floats: [Float]) {
    self.name = name; self.dims = dims; self.dataType = .float
    raw = [UInt8](repeating: 0, count: floats.count * 4)
    raw.withUnsafeMutableBytes { out in
      for (k, v) in floats.enumerated() { out.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * k, as: UInt32.self) }
    }
  }

  /// An int64 tensor.
  public init(name: String, dims: [Int], int64s: [Int64]) {
    self.name = name; self.dims = dims; self.dataType = .int64
    raw = [UInt8](repeating: 0, count: int64s.count * 8)
    raw.withUnsafeMutableBytes { out in
      for (k, v) in int64s.enumerated() { out.storeBytes(of: v.littleEndian, toByteOffset: 8 * k, as: Int64.self) }
    }
  }

  /// A tensor of any type from its little-endian element bytes.
  public init(name: String, dims: [Int], dataType: DataType, raw: [UInt8]) {
    self.name = name; self.dims = dims; self.dataType = dataType; self.raw = raw
  }

  /// The elements as floats (float and double tensors; integer tensors converted exactly where they can be).
  /// Throws when `raw` does not hold `count` elements.
  public func floats() throws -> [Float] {
    guard holdsItsElements else {
      throw ONNXError.malformed(file: name, "tensor of dims \(dims) holds \(raw.count) bytes of \(dataType) data")
    }
    return raw.withUnsafeBytes { bytes in
      switch dataType {
      case .float: return (0..<count).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
      case .double: return (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self)))) }
      default: return integers().map { Float($0) }
      }
    }
  }

  /// The elements as integers (integer and bool tensors); nil for a float tensor or when `raw` does not hold
  /// `count` elements.
  public func int64s() -> [Int64]? {
    dataType == .float || dataType == .double || !holdsItsElements ? nil : integers()
  }

  private func integers() -> [Int64] {
    raw.withUnsafeBytes { b in
      (0..<count).map { k -> Int64 in
        switch dataType {
        case .uint8, .bool: return Int64(b[k])
        case .int8: return Int64(Int8(bitPattern: b[k]))
        case .uint16: return Int64(UInt16(littleEndian: b.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self)))
        case .int16: return Int64(Int16(littleEndian: b.loadUnaligned(fromByteOffset: 2 * k, as: Int16.self)))
        case .int32: return Int64(Int32(littleEndian: b.loadUnaligned(fromByteOffset: 4 * k, as: Int32.self)))
        case .int64: return Int64(littleEndian: b.loadUnaligned(fromByteOffset: 8 * k, as: Int64.self))
        case .float, .double: return 0
        }
      }
    }
  }
}

/// A graph input or output: its name, element type and shape.
public struct ONNXValueInfo: Sendable, Equatable {
  public var name: String
  /// TensorProto.DataType of the elements (1: float).
  public var elementType: Int32
  /// The dimensions; nil when the file gives no shape.
  public var shape: [Dimension]?

  public init(name: String, elementType: Int32 = ONNXTensor.DataType.float.rawValue, shape: [Dimension]?) {
    self.name = name; self.elementType = elementType; self.shape = shape
  }

  /// One dimension: a size, a symbolic name (`batch`), or unknown.
  public enum Dimension: Sendable, Equatable, CustomStringConvertible {
    case value(Int)
    case parameter(String)
    case unknown

    public var description: String {
      switch self {
      case .value(let n): return "\(n)"
      case .parameter(let name): return name
      case .unknown: return "?"
      }
    }
  }
}
