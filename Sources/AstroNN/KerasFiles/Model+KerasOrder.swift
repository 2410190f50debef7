extension Model {
  /// The layers in the order Keras lists them for this graph (`model.layers` of the functional model Keras builds
  /// from our config): by depth from the outputs, deepest first, ties in the order a depth-first walk from the
  /// outputs first reaches them (Keras' `map_graph`). Keras' legacy weight loader pairs a file's `layer_names`
  /// with `model.layers` by position, so files are written in this order.
  var kerasLayerOrder: [Layer] {
    // Walk from the outputs, as Keras' _build_map does: operations numbered on first visit, nodes finished in
    // decreasing depth. Values 0..<inputCount stand for the input layers.
    var operationIndex = [Int: Int]()  // layer index (or −1 − input) -> first-visit number
    var finished = Set<Int>(), order = [Int]()  // node values
    func key(_ v: Int) -> Int { v < inputCount ? -1 - v : nodes[v - inputCount].layer }
    func visit(_ v: Int) {
      if operationIndex[key(v)] == nil { operationIndex[key(v)] = operationIndex.count }
      guard !finished.contains(v) else { return }
      if v >= inputCount { for input in nodes[v - inputCount].inputs { visit(input) } }
      finished.insert(v)
      order.append(v)
    }
    for output in outputValues { visit(output) }
    // Depths: from the output side, each node at least one deeper than what reads it; a layer takes the largest
    // depth of its nodes.
    var nodeDepth = [Int: Int](), operationDepth = [Int: Int]()
    for v in order.reversed() {
      let depth = max(nodeDepth[v] ?? 0, operationDepth[key(v)] ?? 0)
      operationDepth[key(v)] = depth
      nodeDepth[v] = depth
      if v >= inputCount {
        for input in nodes[v - inputCount].inputs { nodeDepth[input] = max(depth + 1, nodeDepth[input] ?? 0) }
      }
    }
    let ordered = operationDepth.keys.filter { $0 >= 0 }.sorted {
      let (a, b) = (operationDepth[$0]!, operationDepth[$1]!)
      return a != b ? a > b : operationIndex[$0]! < operationIndex[$1]!
    }
    // Layers the outputs do not reach keep their place at the end.
    let unreached = layers.indices.filter { operationDepth[$0] == nil }
    return (ordered + unreached).map { layers[$0] }
  }
}
