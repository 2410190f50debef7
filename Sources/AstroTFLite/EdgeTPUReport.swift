import AstroInt8

/// What the Coral Edge TPU compiler would do with a model, checked against its published requirements (Coral's
/// "Model requirements" and "Supported operations"): each operator is mapped to the TPU or left on the CPU, with
/// the reason. The compiler itself (x86-64 Linux only, not installable here) has the last word.
public struct EdgeTPUReport: Sendable {
  /// One operator's verdict.
  public struct Row: Sendable {
    /// The operator's position in execution order.
    public var index: Int
    /// Its TFLite name.
    public var operation: String
    /// Whether the compiler would map it to the TPU.
    public var onTPU: Bool
    /// Why it stays on the CPU (empty when mapped).
    public var reason: String
  }

  /// Operators in execution order.
  public var rows: [Row]
  /// Problems of the whole model (dynamic shapes, several subgraphs, already compiled).
  public var modelIssues: [String]
  /// Bytes of constant parameters (weights, biases) the TPU must hold.
  public var parameterBytes: Int
  /// About what the Edge TPU's 8 MB SRAM leaves for caching parameters (compiler logs show 7–7.7 MiB).
  public static let onChipParameterBytes = 7 * 1024 * 1024 + 512 * 1024

  /// Checks `model` (a `.tflite` as read).
  public init(_ model: TFLiteModel) {
    var issues = [String]()
    if model.isEdgeTPUCompiled { issues.append("the model is already compiled for the Edge TPU") }
    if model.subgraphCount > 1 { issues.append("more than one subgraph is not supported: only the first would compile") }
    if model.hasDynamicShapes { issues.append("dynamic shapes (a −1 in a shape signature): write the model with a fixed batch of 1") }
    let graph = model.graph
    var rows = [Row]()
    var partitioned = false
    for (k, op) in graph.operators.enumerated() {
      var reason = partitioned ? "after the first unsupported operator (the compiler partitions the graph once)" : ""
      if !partitioned, let problem = Self.problem(op, graph: graph) {
        reason = problem
        partitioned = true
      }
      rows.append(Row(index: k, operation: op.operation.name, onTPU: reason.isEmpty, reason: reason))
    }
    self.rows = rows
    self.modelIssues = issues
    parameterBytes = graph.tensors.reduce(0) { $0 + ($1.data?.count ?? 0) }
  }

  /// Whether every operator maps and the model has no whole-model issue.
  public var fullyMapped: Bool { modelIssues.isEmpty && rows.allSatisfy(\.onTPU) }

  /// The reason `op` cannot run on the TPU, or nil.
  static func problem(_ op: GraphOperator, graph: QuantizedGraph) -> String? {
    let tensors = (op.inputs.filter { $0 >= 0 } + op.outputs).map { graph.tensors[$0] }
    for tensor in tensors where tensor.data == nil {
      if tensor.type != .int8 && tensor.type != .uint8 && !(op.operation == .quantize || op.operation == .dequantize) {
        return "tensor '\(tensor.name)' is \(tensor.type.name): the Edge TPU runs 8-bit tensors only"
      }
      let outer = tensor.shape.dropLast(3)
      if outer.contains(where: { $0 != 1 }) {
        return "tensor '\(tensor.name)' \(tensor.shape): only the 3 innermost dimensions may exceed 1 (batch must be 1)"
      }
    }
    switch op.operation {
    case .conv2D(let o):
      return o.dilationHeight == o.dilationWidth ? nil : "dilation differs between x and y"
    case .fullyConnected: return nil
    case .maxPool2D(let o), .averagePool2D(let o):
      return o.activation == .none ? nil : "pools with a fused activation are not supported"
    case .concatenation(_, let activation):
      return activation == .none ? nil : "concatenation with a fused activation is not supported"
    case .add, .mul, .logistic, .reshape: return nil
    case .mean:
      guard let axesIndex = op.inputs.dropFirst().first, let data = graph.tensors[axesIndex].data,
        let values = try? TensorValues(shape: graph.tensors[axesIndex].shape, type: graph.tensors[axesIndex].type, bytes: data)
      else { return "MEAN axes are not constant" }
      let axes = values.dequantized(nil).map { Int($0) }
      if axes.contains(0) { return "MEAN over the batch dimension" }
      let input = graph.tensors[op.inputs[0]].shape
      if axes.contains(input.count - 1), let channels = input.last, channels % 4 != 0 {
        return "MEAN over channels needs a multiple of 4 channels (has \(channels))"
      }
      return nil
    case .pad:
      guard let paddingsIndex = op.inputs.dropFirst().first, let data = graph.tensors[paddingsIndex].data,
        let values = try? TensorValues(shape: graph.tensors[paddingsIndex].shape, type: graph.tensors[paddingsIndex].type, bytes: data)
      else { return "PAD paddings are not constant" }
      let paddings = values.dequantized(nil)
      return paddings.count >= 2 && paddings[0] == 0 && paddings[1] == 0 ? nil : "PAD of the batch dimension"
    case .softmax:
      let input = graph.tensors[op.inputs[0]].shape
      return input.dropLast().allSatisfy({ $0 == 1 }) && (input.last ?? 0) <= 16_000
        ? nil : "SOFTMAX needs a 1-D input of at most 16,000 elements"
    case .quantize: return nil
    case .dequantize: return "DEQUANTIZE is not an Edge TPU operator (it runs on the CPU)"
    case .shape, .stridedSlice, .pack:
      return "\(op.operation.name) (a computed flatten shape): write a fixed-shape RESHAPE"
    case .custom(let code, _): return "custom operator '\(code)'"
    case .unsupported(_, let name): return "\(name) is not an Edge TPU operator"
    }
  }

  /// A readable report: the verdicts, the parameter memory and the summary.
  public func text() -> String {
    var lines = ["Edge TPU compatibility (checked against Coral's published requirements; run edgetpu_compiler to compile):"]
    for issue in modelIssues { lines.append("  model: \(issue)") }
    for row in rows {
      lines.append("  \(row.index): \(row.operation) — " + (row.onTPU ? "Edge TPU" : "CPU: \(row.reason)"))
    }
    let mib = Double(parameterBytes) / 1_048_576
    let fits = parameterBytes <= Self.onChipParameterBytes
    lines.append(String(format: "  parameters: %.2f MiB (%@)", mib,
                        fits ? "fits the on-chip cache" : "exceeds the ~7.5 MiB on-chip cache: the rest streams from host memory, slower"))
    let mapped = rows.filter(\.onTPU).count
    var summary = "  \(mapped) of \(rows.count) operators on the Edge TPU"
    if mapped < rows.count { summary += "; the rest on the CPU" }
    if !modelIssues.isEmpty { summary += "; fix the model issues above before compiling" }
    lines.append(summary)
    return lines.joined(separator: "\n")
  }
}

import Foundation
