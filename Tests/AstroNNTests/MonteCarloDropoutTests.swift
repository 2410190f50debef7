import AstroNN
import AstroTensor
import XCTest

final class MonteCarloDropoutTests: XCTestCase {
  func model(dropout: Float = 0.5, batchNorm: Bool = false) throws -> Model {
    var layers: [Layer] = [Conv2D(4, kernelSize: (3, 3), activation: .relu), MaxPooling2D((2, 2)), Flatten(), Dense(8, activation: .relu)]
    if batchNorm { layers.append(BatchNormalization()) }
    layers += [Dropout(dropout), Dense(6, activation: .relu), Dropout(dropout), Dense(1, activation: .sigmoid)]
    return try ModelBuilder.sequential(name: "mc", inputShape: [8, 8, 1], seed: 3, layers)
  }

  func batch(_ n: Int) -> Tensor {
    var g = SeededGenerator(seed: 11)
    return Tensor.uniform([n, 8, 8, 1], low: -1, high: 1, generator: &g)
  }

  /// Pass t is exactly a training-mode forward pass with the generator seeded `seed + t` (no batch
  /// normalisation here, so training mode differs from inference only in dropout): the layers before the
  /// first dropout, run once, draw nothing from the generator.
  func testEachPassIsAForwardPassWithDropoutOn() throws {
    let m = try model()
    let x = batch(5)
    let passes = try m.monteCarloPredict([x], passes: 4, seed: 100)
    XCTAssertEqual(passes.count, 4)
    for (t, pass) in passes.enumerated() {
      var generator = SeededGenerator(seed: 100 + UInt64(t))
      let expected = try withoutGradients { try m.forward(x, training: true, generator: &generator) }
      XCTAssertEqual(pass.values, expected.values, "pass \(t)")
    }
    XCTAssertNotEqual(passes[0].values, passes[1].values, "passes must differ")
    XCTAssertEqual(m.firstDropoutNode, 4)
  }

  func testWithoutDropoutRateThePassesArePredict() throws {
    let m = try model(dropout: 0)
    let x = batch(3)
    let expected = try m.predict(x).values
    for pass in try m.monteCarloPredict([x], passes: 2, seed: 1) {
      for (a, b) in zip(pass.values, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }
  }

  func testBatchNormalizationStaysInInferenceAndIsNotUpdated() throws {
    let m = try model(batchNorm: true)
    let bn = m.layers.compactMap { $0 as? BatchNormalization }[0]
    let before = bn.weights.map(\.values)
    _ = try m.monteCarloPredict([batch(6)], passes: 3, seed: 2)
    XCTAssertEqual(bn.weights.map(\.values), before, "moving statistics changed")
    XCTAssertThrowsError(try ModelBuilder.sequential(name: "plain", inputShape: [3], [Dense(1)]).monteCarloPredict([Tensor(repeating: 0, shape: [1, 3])], passes: 2, seed: 0))
  }

  func testPredictAlsoReturningGivesTheHiddenValue() throws {
    let m = try model(batchNorm: true)
    let x = batch(4)
    let index = try XCTUnwrap(m.penultimateValueIndex)
    XCTAssertEqual(m.valueShape(index), [6], "the input of the last Dense, through its Dropout")
    let (outputs, hidden) = try m.predict([x], alsoReturning: index)
    let all = try m.allValues([x])
    for (a, b) in zip(hidden.values, all[index].values) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    for (a, b) in zip(outputs[0].values, try m.predict(x).values) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    // A convolution output that inference fuses with what follows is still returned.
    let conv = try ModelBuilder.sequential(name: "fused", inputShape: [8, 8, 1], seed: 1, [
      Conv2D(3, kernelSize: (3, 3)), BatchNormalization(), ActivationLayer(.relu), Flatten(), Dense(1, activation: .sigmoid),
    ])
    let (_, convOutput) = try conv.predict([x], alsoReturning: 1)
    XCTAssertEqual(convOutput.values, try conv.allValues([x])[1].values)
  }
}
