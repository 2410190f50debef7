import AstroInt8

extension TFLiteModel {
  /// A readable account of the model: inputs and outputs with their types, shapes and quantization, the
  /// operators in order, and whether (and what) an Edge TPU compiler compiled.
  public func summary() -> String {
    var lines = [String]()
    if !graph.description.isEmpty { lines.append("description: \(graph.description)") }
    if subgraphCount > 1 { lines.append("subgraphs: \(subgraphCount) (only the first is read)") }
    func describe(_ index: Int) -> String {
      let t = graph.tensors[index]
      var text = "'\(t.name)' \(t.type.name) \(t.shape)"
      if let q = t.quantization {
        text += q.scales.count == 1 ? " scale \(q.scale) zero point \(q.zeroPoint)" : " \(q.scales.count) scales along dimension \(q.dimension)"
      }
      return text
    }
    for index in graph.inputs { lines.append("input  \(describe(index))") }
    for index in graph.outputs { lines.append("output \(describe(index))") }
    lines.append("operators: \(graph.operators.count)")
    for (k, op) in graph.operators.enumerated() {
      let outputs = op.outputs.map { graph.tensors[$0].shape.description }.joined(separator: ", ")
      lines.append("  \(k): \(op.operation.name) v\(operatorVersions[k]) -> \(outputs)")
    }
    if isEdgeTPUCompiled {
      lines.append(
        "compiled for a Coral Edge TPU: the edgetpu-custom-op holds the compiled weights and runs only on an Edge TPU; "
          + "operators outside it run on the CPU")
    }
    return lines.joined(separator: "\n")
  }
}
