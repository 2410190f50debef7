import AstroNN

// Constants computed at import: Constant nodes, and constants transposed.
extension ONNXImporter {
  /// A constant with its axes permuted (output axis `i` is input axis `perm[i]`).
  func transposed(_ c: ONNXTensor, _ perm: [Int], _ node: ONNXNode) throws -> ONNXTensor {
    guard perm.sorted() == Array(0..<c.dims.count) else { throw unsupported(node, "perm \(perm) for a constant of dims \(c.dims)") }
    let size = c.dataType.size
    let outDims = perm.map { c.dims[$0] }
    var inStrides = [Int](repeating: 1, count: c.dims.count)
    for a in stride(from: c.dims.count - 2, through: 0, by: -1) { inStrides[a] = inStrides[a + 1] * c.dims[a + 1] }
    var raw = [UInt8](repeating: 0, count: c.raw.count)
    var index = [Int](repeating: 0, count: outDims.count)
    for flat in 0..<c.count {
      let source = zip(index, perm).reduce(0) { $0 + $1.0 * inStrides[$1.1] }
      for b in 0..<size { raw[flat * size + b] = c.raw[source * size + b] }
      var a = outDims.count - 1
      while a >= 0 {
        index[a] += 1
        if index[a] < outDims[a] { break }
        index[a] = 0
        a -= 1
      }
    }
    return ONNXTensor(name: node.outputs[0], dims: outDims, dataType: c.dataType, raw: raw)
  }

  /// The value of a Constant node (`value`, or `value_float(s)` / `value_int(s)` from opset 12).
  func constantValue(_ node: ONNXNode) throws -> ONNXTensor {
    let out = node.outputs[0]
    guard let attribute = node.attributes.first else { throw unsupported(node, "a Constant without a value") }
    switch (attribute.name, attribute.value) {
    case ("value", .tensor(var t)): t.name = out; return t
    case ("value_float", .float(let f)): return ONNXTensor(name: out, dims: [], floats: [f])
    case ("value_floats", .floats(let fs)): return ONNXTensor(name: out, dims: [fs.count], floats: fs)
    case ("value_int", .int(let i)): return ONNXTensor(name: out, dims: [], int64s: [i])
    case ("value_ints", .ints(let xs)): return ONNXTensor(name: out, dims: [xs.count], int64s: xs)
    default: throw unsupported(node, "only value, value_float(s) and value_int(s) constants are supported")
    }
  }
}
