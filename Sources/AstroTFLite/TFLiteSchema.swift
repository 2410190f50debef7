import AstroInt8

/// Codes and field ids of the TFLite schema (schema.fbs, version 3) that this library reads and writes.
enum TFLiteSchema {
  static let identifier: [UInt8] = Array("TFL3".utf8)
  static let version: UInt32 = 3

  enum Builtin {
    static let add = 0, averagePool2D = 1, concatenation = 2, conv2D = 3, depthwiseConv2D = 4, dequantize = 6
    static let fullyConnected = 9, logistic = 14, maxPool2D = 17, mul = 18, reshape = 22, softmax = 25, custom = 32, pad = 34
    static let mean = 40, stridedSlice = 45, shape = 77, pack = 83, quantize = 114, placeholderForGreaterOpCodes = 127
  }

  /// BuiltinOptions union type values.
  enum Options {
    static let none: UInt8 = 0, conv2D: UInt8 = 1, pool2D: UInt8 = 5, fullyConnected: UInt8 = 8, softmax: UInt8 = 9
    static let concatenation: UInt8 = 10, add: UInt8 = 11, reshape: UInt8 = 17, pad: UInt8 = 22, reducer: UInt8 = 27
    static let mul: UInt8 = 21, stridedSlice: UInt8 = 32, dequantize: UInt8 = 38, shape: UInt8 = 55, pack: UInt8 = 59
    static let quantize: UInt8 = 89
  }

  /// Names of builtin operators, for messages about the ones this library does not run.
  static func name(ofBuiltin code: Int) -> String {
    let known: [Int: String] = [
      0: "ADD", 1: "AVERAGE_POOL_2D", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 5: "DEPTH_TO_SPACE",
      6: "DEQUANTIZE", 7: "EMBEDDING_LOOKUP", 8: "FLOOR", 9: "FULLY_CONNECTED", 10: "HASHTABLE_LOOKUP",
      11: "L2_NORMALIZATION", 12: "L2_POOL_2D", 13: "LOCAL_RESPONSE_NORMALIZATION", 14: "LOGISTIC", 15: "LSH_PROJECTION",
      16: "LSTM", 17: "MAX_POOL_2D", 18: "MUL", 19: "RELU", 20: "RELU_N1_TO_1", 21: "RELU6", 22: "RESHAPE",
      23: "RESIZE_BILINEAR", 24: "RNN", 25: "SOFTMAX", 26: "SPACE_TO_DEPTH", 27: "SVDF", 28: "TANH", 32: "CUSTOM",
      34: "PAD", 39: "TRANSPOSE", 40: "MEAN", 41: "SUB", 42: "DIV", 43: "SQUEEZE", 49: "STRIDED_SLICE", 53: "CAST",
      60: "PADV2", 65: "SLICE", 74: "SUM", 83: "PACK", 97: "LEAKY_RELU", 98: "SQUARED_DIFFERENCE", 114: "QUANTIZE",
      117: "HARD_SWISH",
    ]
    return known[code] ?? "BUILTIN_\(code)"
  }

  static func activation(_ raw: UInt8, _ where_: String, file: String) throws -> FusedActivation {
    guard let activation = FusedActivation(rawValue: Int(raw)) else {
      throw TFLiteError.unsupported(file: file, "\(where_): fused activation \(raw) (only NONE, RELU, RELU_N1_TO_1, RELU6)")
    }
    return activation
  }

  static func padding(_ raw: UInt8, _ where_: String, file: String) throws -> PaddingMode {
    guard let padding = PaddingMode(rawValue: Int(raw)) else {
      throw TFLiteError.malformed(file: file, "\(where_): padding \(raw) is neither SAME (0) nor VALID (1)")
    }
    return padding
  }
}
