/// How an activation tensor's range is chosen from the calibration data.
public enum CalibrationMethod: Equatable, Sendable, CustomStringConvertible {
  /// The observed minimum and maximum (widened to include 0): nothing is clipped; outliers cost resolution.
  case minMax
  /// The given lower and upper quantiles (e.g. 0.9999): the rarest values are clipped.
  case percentile(Double)
  /// The clipping range that minimises the expected squared quantization error over the observed distribution
  /// (clipping error plus rounding error), searched on a histogram.
  case mse

  public var description: String {
    switch self {
    case .minMax: return "minmax"
    case .percentile(let p): return "percentile:\(p)"
    case .mse: return "mse"
    }
  }

  /// Parses `minmax`, `mse`, `percentile` (0.9999) or `percentile:P` (0.5 < P ≤ 1), as command lines write them.
  public init?(parsing text: String) {
    switch text {
    case "minmax": self = .minMax
    case "mse": self = .mse
    case "percentile": self = .percentile(0.9999)
    default:
      guard text.hasPrefix("percentile:"), let p = Double(text.dropFirst("percentile:".count)), p > 0.5, p <= 1 else { return nil }
      self = .percentile(p)
    }
  }
}

/// The element type of a quantized model's inputs and outputs.
public enum QuantizedIOType: String, Sendable, CaseIterable {
  /// int8, as inside the model (no conversion operators at the boundary; what the Edge TPU prefers).
  case int8
  /// uint8, as braai's published Edge TPU model takes and returns (a QUANTIZE operator at each boundary).
  case uint8
  /// float32 in and out: QUANTIZE after each input and DEQUANTIZE before each output.
  case float32
}

/// Options of post-training quantization.
public struct QuantizationOptions: Sendable {
  /// The calibration method for every activation tensor not in `methodOverrides`.
  public var method: CalibrationMethod
  /// A method per layer name, for the tensor that layer's output becomes.
  public var methodOverrides: [String: CalibrationMethod]
  /// The type of the model's inputs and outputs.
  public var ioType: QuantizedIOType
  /// Corrects each convolution's and dense layer's bias by the mean shift its weight rounding causes on the
  /// calibration set (Nagel et al. 2019, empirical).
  public var biasCorrection: Bool
  /// Writes −1 as the batch of flatten targets (any batch in LiteRT); false writes 1 (static shapes for the
  /// Edge TPU).
  public var dynamicBatch: Bool
  /// Calibration samples run through the float model at once.
  public var calibrationBatchSize: Int

  /// Options; the defaults are MSE calibration, int8 I/O, bias correction, a dynamic batch, 16 samples per pass.
  public init(method: CalibrationMethod = .mse, methodOverrides: [String: CalibrationMethod] = [:], ioType: QuantizedIOType = .int8,
              biasCorrection: Bool = true, dynamicBatch: Bool = true, calibrationBatchSize: Int = 16) {
    self.method = method
    self.methodOverrides = methodOverrides
    self.ioType = ioType
    self.biasCorrection = biasCorrection
    self.dynamicBatch = dynamicBatch
    self.calibrationBatchSize = max(1, calibrationBatchSize)
  }
}

/// Errors of quantization; each names the layer or input at fault.
public enum QuantizationError: Error, CustomStringConvertible, Equatable {
  /// A layer or configuration the int8 lowering does not handle.
  case unsupported(String)
  /// The calibration data does not fit the model.
  case calibration(String)

  public var description: String {
    switch self {
    case .unsupported(let message): return "cannot quantize: \(message)"
    case .calibration(let message): return "calibration: \(message)"
    }
  }
}
