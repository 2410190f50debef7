// A layer of your own with a trainable weight: declared with addWeight, gradient-checked, trained, saved.
// Run with: swift run -c release custom-layer
import AstroNN
import AstroTensor

/// A learnable scale per channel: y = x * scale (scale broadcasts over the last axis).
final class ChannelScale: Layer {
  private(set) var scale: Tensor?

  override func build(inputShapes: [[Int]], generator: inout SeededGenerator) throws -> [Int] {
    try expectInputs(inputShapes)
    scale = try addWeight("scale", shape: [inputShapes[0].last!], initializer: .ones, generator: &generator)
    return inputShapes[0]
  }

  override func forward(_ inputs: [Tensor], context: ForwardContext) throws -> Tensor {
    try inputs[0] * scale!
  }
}

// 1. Its gradient, against central differences, with respect to the input and the weight.
var generator = SeededGenerator(seed: 1)
let x = Tensor.normal([2, 5, 5, 3], generator: &generator)
let s = Tensor.uniform([3], low: 0.5, high: 1.5, generator: &generator)
let report = try GradientCheck.run("ChannelScale", inputs: [x, s]) { t in try t[0] * t[1] }
print(report.passed ? "gradient check passed" : report.failures.joined(separator: "\n"))

// 2. In a model, trained: the scale is one of the model's weights, so the optimizer updates it.
let scale = ChannelScale(name: "scale")
let model = try ModelBuilder.sequential(name: "scaled", inputShape: [16, 16, 1], seed: 2, [
  Conv2D(4, kernelSize: (3, 3), activation: .relu), scale, Flatten(), Dense(1, activation: .sigmoid),
])
let (images, labels) = ToyData.blobsVersusHotPixels(count: 64, shape: [16, 16, 1], seed: 3)
let adam = Adam(learningRate: 1e-2)
for step in 1...20 {
  let loss = try model.trainStep(images, labels: labels, optimizer: adam, generator: &generator).loss
  if step % 5 == 0 { print("step \(step)  loss \(loss)  scale \(scale.scale!.values)") }
}
if !report.passed { throw NNError.model("ChannelScale's gradient check failed") }
