/// Element types of quantized graphs (TFLite's `TensorType` values).
public enum ElementType: Int, Sendable, CaseIterable {
  case float32 = 0
  case int32 = 2
  case uint8 = 3
  case int64 = 4
  case int8 = 9

  /// Bytes per element.
  public var size: Int {
    switch self {
    case .uint8, .int8: return 1
    case .float32, .int32: return 4
    case .int64: return 8
    }
  }

  /// The name TFLite uses (`INT8`, `FLOAT32`, ...).
  public var name: String {
    switch self {
    case .float32: return "FLOAT32"
    case .int32: return "INT32"
    case .uint8: return "UINT8"
    case .int64: return "INT64"
    case .int8: return "INT8"
    }
  }
}

/// Affine quantization: `real = (q − zeroPoint) · scale`, per tensor (one scale) or per channel along
/// `dimension` (one scale and zero point per index of that dimension).
public struct Quantization: Equatable, Sendable {
  /// One scale per tensor, or one per index of `dimension`.
  public var scales: [Float]
  /// The integer that stands for 0, one per scale.
  public var zeroPoints: [Int]
  /// The quantized dimension of a per-channel quantization (0 for per-tensor).
  public var dimension: Int

  /// Per-tensor (one scale) or per-channel parameters.
  public init(scales: [Float], zeroPoints: [Int], dimension: Int = 0) {
    self.scales = scales
    self.zeroPoints = zeroPoints
    self.dimension = dimension
  }

  /// Per-tensor parameters.
  public init(scale: Float, zeroPoint: Int) {
    self.init(scales: [scale], zeroPoints: [zeroPoint])
  }

  /// The scale of a per-tensor quantization (the first one).
  public var scale: Float { scales[0] }
  /// The zero point of a per-tensor quantization (the first one).
  public var zeroPoint: Int { zeroPoints[0] }
}

/// A fused activation, applied as a clamp of the quantized output.
public enum FusedActivation: Int, Sendable {
  case none = 0, relu = 1, reluN1To1 = 2, relu6 = 3
}

/// Spatial padding of convolutions and pools: TensorFlow's `SAME` (odd remainder after) or `VALID`.
public enum PaddingMode: Int, Sendable {
  case same = 0, valid = 1
}

/// A graph tensor: an activation (no data) or a constant (weights, biases, shapes).
public struct GraphTensor: Equatable, Sendable {
  /// The tensor's name (a layer's, in graphs this library makes).
  public var name: String
  /// The shape; for activations the first dimension is the batch, which the interpreter takes from the input.
  public var shape: [Int]
  /// The element type.
  public var type: ElementType
  /// How its integers map to real values (nil for float tensors and shape constants).
  public var quantization: Quantization?
  /// Little-endian, row-major bytes of a constant; nil for activations.
  public var data: [UInt8]?

  /// A tensor; `data` makes it a constant.
  public init(name: String, shape: [Int], type: ElementType, quantization: Quantization? = nil, data: [UInt8]? = nil) {
    self.name = name
    self.shape = shape
    self.type = type
    self.quantization = quantization
    self.data = data
  }

  /// Elements in `shape`.
  public var elementCount: Int { shape.reduce(1, *) }
}

/// Options of a 2-D convolution (kernel OHWI).
public struct ConvolutionOptions: Equatable, Sendable {
  /// TensorFlow's SAME or VALID padding.
  public var padding: PaddingMode
  /// Steps between windows, vertically and horizontally.
  public var strideHeight: Int, strideWidth: Int
  /// Spacing of kernel taps (1: contiguous).
  public var dilationHeight: Int, dilationWidth: Int
  /// The clamp applied to the output.
  public var activation: FusedActivation

  /// Options with TensorFlow's defaults (stride and dilation 1, no activation).
  public init(padding: PaddingMode, strideHeight: Int = 1, strideWidth: Int = 1, dilationHeight: Int = 1,
              dilationWidth: Int = 1, activation: FusedActivation = .none) {
    self.padding = padding
    self.strideHeight = strideHeight
    self.strideWidth = strideWidth
    self.dilationHeight = dilationHeight
    self.dilationWidth = dilationWidth
    self.activation = activation
  }
}

/// Options of a 2-D max or average pool.
public struct PoolOptions: Equatable, Sendable {
  /// TensorFlow's SAME or VALID padding.
  public var padding: PaddingMode
  /// Steps between windows, vertically and horizontally.
  public var strideHeight: Int, strideWidth: Int
  /// The window's size.
  public var filterHeight: Int, filterWidth: Int
  /// The clamp applied to the output.
  public var activation: FusedActivation

  /// Pool options.
  public init(padding: PaddingMode, strideHeight: Int, strideWidth: Int, filterHeight: Int, filterWidth: Int,
              activation: FusedActivation = .none) {
    self.padding = padding
    self.strideHeight = strideHeight
    self.strideWidth = strideWidth
    self.filterHeight = filterHeight
    self.filterWidth = filterWidth
    self.activation = activation
  }
}

/// Options of a strided slice: bit i of a mask concerns axis i.
public struct StridedSliceOptions: Equatable, Sendable {
  /// Masks of axes whose begin or end is ignored, that are an ellipsis, new, or shrunk away.
  public var beginMask: Int, endMask: Int, ellipsisMask: Int, newAxisMask: Int, shrinkAxisMask: Int
  /// Whether `end` counts from `begin`.
  public var offset: Bool

  /// Options with all masks clear.
  public init(beginMask: Int = 0, endMask: Int = 0, ellipsisMask: Int = 0, newAxisMask: Int = 0, shrinkAxisMask: Int = 0,
              offset: Bool = false) {
    self.beginMask = beginMask
    self.endMask = endMask
    self.ellipsisMask = ellipsisMask
    self.newAxisMask = newAxisMask
    self.shrinkAxisMask = shrinkAxisMask
    self.offset = offset
  }

}

/// The operations of full-integer graphs (TFLite builtin operators and custom ones).
public enum GraphOperation: Equatable, Sendable {
  case conv2D(ConvolutionOptions)
  case fullyConnected(activation: FusedActivation, keepNumDims: Bool)
  case maxPool2D(PoolOptions)
  case averagePool2D(PoolOptions)
  case mean(keepDims: Bool)
  case add(activation: FusedActivation)
  case mul(activation: FusedActivation)
  case concatenation(axis: Int, activation: FusedActivation)
  case pad
  case reshape(newShape: [Int]?)
  case logistic
  case softmax(beta: Float)
  case quantize
  case dequantize
  /// The input's shape as a vector (how converters compute a flatten's target for any batch).
  case shape(outputType: ElementType)
  /// A strided slice (TensorFlow's `tf.strided_slice`; ellipsis and new-axis masks are not run).
  case stridedSlice(StridedSliceOptions)
  /// Stacks same-shape inputs along a new axis.
  case pack(axis: Int)
  /// A custom operator (e.g. the Edge TPU's `edgetpu-custom-op`), kept but not run on the CPU.
  case custom(code: String, options: [UInt8])
  /// A builtin operator this library does not implement, kept so the graph can be described.
  case unsupported(builtinCode: Int, name: String)

  /// TFLite's operator name (`CONV_2D`, ...).
  public var name: String {
    switch self {
    case .conv2D: return "CONV_2D"
    case .fullyConnected: return "FULLY_CONNECTED"
    case .maxPool2D: return "MAX_POOL_2D"
    case .averagePool2D: return "AVERAGE_POOL_2D"
    case .mean: return "MEAN"
    case .add: return "ADD"
    case .mul: return "MUL"
    case .concatenation: return "CONCATENATION"
    case .pad: return "PAD"
    case .reshape: return "RESHAPE"
    case .logistic: return "LOGISTIC"
    case .softmax: return "SOFTMAX"
    case .quantize: return "QUANTIZE"
    case .dequantize: return "DEQUANTIZE"
    case .shape: return "SHAPE"
    case .stridedSlice: return "STRIDED_SLICE"
    case .pack: return "PACK"
    case .custom(let code, _): return "CUSTOM(\(code))"
    case .unsupported(_, let name): return name
    }
  }
}

/// One operator of a graph: what it does, and the indices of its input and output tensors (−1: an absent
/// optional input).
public struct GraphOperator: Equatable, Sendable {
  /// What the operator does.
  public var operation: GraphOperation
  /// Tensor indices it reads (−1: an absent optional input).
  public var inputs: [Int]
  /// Tensor indices it writes.
  public var outputs: [Int]

  /// An operator reading `inputs` and writing `outputs`.
  public init(_ operation: GraphOperation, inputs: [Int], outputs: [Int]) {
    self.operation = operation
    self.inputs = inputs
    self.outputs = outputs
  }
}

/// A quantized model as a flat graph, in execution order: what a `.tflite` file holds, and what the
/// quantizer produces.
public struct QuantizedGraph: Equatable, Sendable {
  /// Every tensor; operators refer to them by index.
  public var tensors: [GraphTensor]
  /// The operators in execution order.
  public var operators: [GraphOperator]
  /// Indices of the graph's input tensors.
  public var inputs: [Int]
  /// Indices of the graph's output tensors.
  public var outputs: [Int]
  /// Free text (TFLite's model description).
  public var description: String

  /// A graph from its parts.
  public init(tensors: [GraphTensor], operators: [GraphOperator], inputs: [Int], outputs: [Int], description: String = "") {
    self.tensors = tensors
    self.operators = operators
    self.inputs = inputs
    self.outputs = outputs
    self.description = description
  }
}
