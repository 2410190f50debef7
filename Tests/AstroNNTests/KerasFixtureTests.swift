import AstroNN
import AstroTensor
import Foundation
import TestSupport
import XCTest

/// Inference parity with Keras: load the fixture `.h5`, run its inputs, compare logits within 1e-4.
final class KerasFixtureTests: XCTestCase {
  func assertLogitsMatch(_ model: Model, _ key: String, file: StaticString = #filePath, line: UInt = #line) throws {
    try model.loadKerasWeights(from: SharedData.path("reference/keras/\(key).h5"))
    let input = try Tensor.load(npy: SharedData.path("reference/keras/\(key).input.npy"))
    let expected = try Tensor.load(npy: SharedData.path("reference/keras/\(key).logit.npy"))
    let logits = try model.predict(input, logits: true)
    XCTAssertEqual(logits.shape, expected.shape, file: file, line: line)
    for (i, (a, b)) in zip(logits.values, expected.values).enumerated() {
      XCTAssertEqual(a, b, accuracy: 1e-4, "\(key) sample \(i)", file: file, line: line)
    }
    let probabilities = try model.predict(input)
    let expectedProbabilities = try Tensor.load(npy: SharedData.path("reference/keras/\(key).sigmoid.npy"))
    for (a, b) in zip(probabilities.values, expectedProbabilities.values) {
      XCTAssertEqual(a, b, accuracy: 1e-5, "\(key) sigmoid", file: file, line: line)
    }
  }

  func testVGG6() throws { try assertLogitsMatch(VGG6.make(), "vgg6_63x63x3") }
  func testResNet50() throws { try assertLogitsMatch(ResNet.resnet50(), "resnet50_144x144x1") }
  func testDenseNet121() throws { try assertLogitsMatch(DenseNet.densenet121(), "densenet121_144x144x1") }
}
