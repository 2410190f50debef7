import AstroInt8
import AstroNN
import AstroTensor

/// Where a planned activation's float values come from during calibration: a model value, or a value computed
/// from model values (a pre-activation, a batch normalisation's intermediate product).
enum FloatSource {
  case value(Int)
  case computed(([Tensor]) throws -> Tensor)

  func evaluate(_ values: [Tensor]) throws -> Tensor {
    switch self {
    case .value(let index): return values[index]
    case .computed(let compute): return try compute(values)
    }
  }
}

/// A constant of the plan, in float until the activations' scales are known.
enum PlannedConstant {
  case int32(shape: [Int], values: [Int32])
  /// Weights quantized symmetrically per output channel (dimension 0) or per tensor.
  case weights(shape: [Int], values: [Float], perChannel: Bool)
  /// A bias, quantized to int32 with the scale `s_input · s_weights[c]`.
  case bias(values: [Float], input: Int, weights: Int)
  /// An elementwise operand (a batch normalisation's scale or shift), quantized per tensor.
  case operand(shape: [Int], values: [Float])
}

struct PlannedTensor {
  var name: String
  var shape: [Int]
  var type: ElementType = .int8
  var source: FloatSource?
  var constant: PlannedConstant?
  /// Parameters fixed by the operator that writes it (LOGISTIC: 1/256, −128).
  var fixed: Quantization?
  /// An I/O tensor in another type: the parameters of `of`, zero point shifted (uint8: +128); nil zero point
  /// offset means float (no parameters).
  var mirror: (of: Int, zeroPointOffset: Int?)?
  /// The layer whose output this is (method overrides and the report use it).
  var layer: String
}

/// The mean output shift one layer's weight rounding causes, measured on calibration batches.
struct BiasCorrectionSite {
  let bias: Int
  /// Per-channel sums of the shift over a batch's positions, and the number of positions.
  let measure: ([Tensor]) throws -> (sums: [Double], count: Int)
}

/// A model lowered to TFLite's integer operators, with float constants and calibration sources still attached.
struct Plan {
  var tensors = [PlannedTensor]()
  var operators = [GraphOperator]()
  var inputs = [Int](), outputs = [Int]()
  /// Union-find parents: tensors that must share quantization parameters (pools, reshapes, pads, concatenations).
  var parent = [Int]()
  var biasCorrections = [BiasCorrectionSite]()

  mutating func add(_ tensor: PlannedTensor) -> Int {
    tensors.append(tensor)
    parent.append(tensors.count - 1)
    return tensors.count - 1
  }

  mutating func root(_ t: Int) -> Int {
    var r = t
    while parent[r] != r { r = parent[r] }
    var k = t
    while parent[k] != r { (parent[k], k) = (r, parent[k]) }
    return r
  }

  mutating func share(_ a: Int, _ b: Int) {
    let (ra, rb) = (root(a), root(b))
    if ra != rb { parent[rb] = ra }
  }

  mutating func constant(_ name: String, _ constant: PlannedConstant, shape: [Int], type: ElementType = .int8) -> Int {
    add(PlannedTensor(name: name, shape: shape, type: type, constant: constant, layer: name))
  }

  mutating func int32Constant(_ name: String, _ values: [Int], shape: [Int]? = nil) -> Int {
    constant(name, .int32(shape: shape ?? [values.count], values: values.map { Int32($0) }), shape: shape ?? [values.count],
             type: .int32)
  }
}
