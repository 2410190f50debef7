/// How `ONNXExporter` writes a model.
public struct ONNXExportOptions: Sendable {
  /// The IR version stamped in the file: 8 by default (onnxruntime 1.31 reads 3 to 13; onnx 1.23 writes 14
  /// by default, which it refuses). 7 to 13.
  public var irVersion: Int64 = 8
  /// The `ai.onnx` operator set: 13 by default; 13 to 21 (every operator written has the same semantics there).
  public var opset: Int64 = 13
  /// Image inputs and outputs in NCHW (PyTorch's layout) instead of Keras' NHWC. By default each image input
  /// is declared NHWC and followed by one Transpose, so the file takes the arrays the Keras model takes.
  public var nchw = false
  /// The symbolic name of the batch dimension of every input and output.
  public var batchDimension = "batch"
  /// Entries written to `metadata_props` (the AstroLearn manifest goes under `astrolearn.manifest`).
  public var metadata: [ONNXModel.MetadataEntry] = []
  /// `producer_version`.
  public var producerVersion = "1.0"

  /// The IR versions and operator sets this exporter writes.
  public static let irVersions: ClosedRange<Int64> = 7...13
  public static let opsets: ClosedRange<Int64> = 13...21

  /// Defaults: IR 8, opset 13, NHWC inputs, batch dimension `batch`.
  public init() {}
}
