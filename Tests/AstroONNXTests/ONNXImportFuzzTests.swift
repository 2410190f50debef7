import AstroNN
import AstroONNX
import AstroTensor
import TestSupport
import XCTest

/// Damaged graphs (dropped inputs and outputs, wrong attributes, wrong weight shapes, swapped operators) give an
/// error or a model that runs; never a trap.
final class ONNXImportFuzzTests: XCTestCase {
  func testMutatedGraphsNeverTrap() throws {
    let original = try ONNXExporter.export(try everyLayerModel())
    let operators = ["Conv", "Gemm", "MatMul", "BatchNormalization", "MaxPool", "AveragePool", "GlobalAveragePool", "Relu",
                     "Softmax", "Add", "Concat", "Pad", "Flatten", "Reshape", "Transpose", "Identity", "Dropout", "Sum"]
    var generator = SeededGenerator(seed: 42)
    func random(_ n: Int) -> Int { Int(generator.next() % UInt64(max(n, 1))) }
    var imported = 0, refused = 0
    for _ in 0..<3000 {
      var model = original
      for _ in 0...random(3) {
        var graph = model.graph
        let k = random(graph.nodes.count)
        switch random(7) {
        case 0: if !graph.nodes[k].inputs.isEmpty { graph.nodes[k].inputs.removeLast() }
        case 1: graph.nodes[k].outputs = random(2) == 0 ? [] : [""]
        case 2:
          if !graph.nodes[k].attributes.isEmpty {
            let a = random(graph.nodes[k].attributes.count)
            let extreme: [Int64] = [Int64.max, Int64.min, 1 << 40, 1 << 31, -1, 0]
            func value() -> Int64 { random(3) == 0 ? extreme[random(extreme.count)] : Int64(random(12)) - 3 }
            graph.nodes[k].attributes[a].value = [
              .int(value()), .ints((0..<random(9)).map { _ in value() }), .float(-1), .string("SAME_LOWER"),
            ][random(4)]
          }
        case 3: graph.nodes[k].opType = operators[random(operators.count)]
        case 4:
          let i = random(graph.initializers.count)
          if random(2) == 0 {
            graph.initializers[i].dims = graph.initializers[i].dims.shuffled(using: &generator)
          } else if graph.initializers[i].dataType == .int64 {
            // A shape or pads constant with a hostile entry.
            var values = graph.initializers[i].int64s() ?? []
            if !values.isEmpty { values[random(values.count)] = [Int64.max, 1 << 40, -7][random(3)] }
            graph.initializers[i] = ONNXTensor(name: graph.initializers[i].name, dims: [values.count], int64s: values)
          }
        case 5: graph.nodes.swapAt(k, random(graph.nodes.count))
        default:
          if var shape = graph.inputs[0].shape, shape.count > 1 {
            shape[1 + random(shape.count - 1)] = .value([0, 1, 3, 1 << 40, Int.max][random(5)])
            graph.inputs[0].shape = shape
          }
        }
        model.graph = graph
      }
      do {
        let m = try ONNXImporter.importModel(model)
        let inputs = m.inputShapes.map { TestTensors.uniform([2] + $0, seed: 1) }
        _ = try? m.predict(inputs)
        imported += 1
      } catch {
        XCTAssert(error is ONNXError || error is NNError, "\(type(of: error)): \(error)")
        refused += 1
      }
    }
    XCTAssertGreaterThan(refused, 500)
    XCTAssertGreaterThan(imported, 10)
  }
}
