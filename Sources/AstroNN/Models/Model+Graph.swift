import AstroTensor

extension Model {
  /// One application of a layer in the model's graph.
  public struct GraphNode {
    /// The layer applied.
    public let layer: Layer
    /// The values it reads: `0..<inputShapes.count` are the model's inputs, `inputShapes.count + k` is node `k`'s output.
    public let inputs: [Int]
    /// Its per-sample output shape.
    public let outputShape: [Int]
  }

  /// The graph in execution order (what converters and quantizers walk): node `k`'s output is value
  /// `inputShapes.count + k`.
  public var graphNodes: [GraphNode] {
    nodes.map { GraphNode(layer: layers[$0.layer], inputs: $0.inputs, outputShape: $0.outputShape) }
  }

  /// The value index of each output, in `outputNames` order.
  public var outputValueIndices: [Int] { outputValues }

  /// The per-sample shape of value `index` (an input or a node's output).
  public func valueShape(_ index: Int) -> [Int] { shape(ofValue: index) }

  /// Runs the model layer by layer in inference mode (no fusion, no gradients) and returns every value: the inputs,
  /// then each node's output. For calibration and per-layer comparisons; `forward` is faster.
  public func allValues(_ inputs: [Tensor]) throws -> [Tensor] {
    try validate(inputs)
    return try withoutGradients {
      let context = ForwardContext(training: false)
      var values = inputs
      for node in nodes {
        let layer = layers[node.layer]
        do {
          values.append(try layer.forward(node.inputs.map { values[$0] }, context: context))
        } catch let error as TensorError {
          throw NNError.layer(layer.name, "\(error)")
        }
      }
      return values
    }
  }
}

extension BatchNormalization {
  /// The per-channel `scale` and `shift` of inference (`y = x·scale + shift`, from the moving statistics):
  /// `scale = gamma / sqrt(variance + epsilon)`, `shift = beta − mean·scale`; nil before `build`.
  public var inferenceScaleAndShift: (scale: Tensor, shift: Tensor)? { inferenceAffine() }
}
