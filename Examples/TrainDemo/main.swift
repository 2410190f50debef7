// Trains braai's VGG6 on a generated image problem and prints loss and accuracy per epoch.
// Run with: swift run -c release train-demo
import AstroNN
import AstroTensor
import Foundation

let shape = [63, 63, 3]
let (trainX, trainY) = ToyData.blobsVersusHotPixels(count: 1024, shape: shape, seed: 1)
let (testX, testY) = ToyData.blobsVersusHotPixels(count: 256, shape: shape, seed: 2)
let model = try VGG6.make(inputShape: shape, seed: 42)
print(model.summary())

let optimizer = Adam(learningRate: 3e-4)
var generator = SeededGenerator(seed: 7)
let batchSize = 64

func accuracy(_ probabilities: Tensor, _ labels: Tensor) -> Float {
  let correct = zip(probabilities.values, labels.values).filter { ($0 >= 0.5 ? 1 : 0) == $1 }.count
  return Float(correct) / Float(labels.count)
}

for epoch in 1...4 {
  let start = Date()
  var lossSum: Float = 0, batches = 0
  for first in stride(from: 0, to: trainX.shape[0], by: batchSize) {
    let range = first..<min(first + batchSize, trainX.shape[0])
    let step = try model.trainStep(
      trainX.batch(range), labels: trainY.batch(range), optimizer: optimizer, generator: &generator)
    lossSum += step.loss
    batches += 1
  }
  let seconds = Date().timeIntervalSince(start)
  let testAccuracy = accuracy(try model.predict(testX), testY)
  print(String(
    format: "epoch %d  loss %.4f  test accuracy %.3f  %.0f samples/s", epoch, lossSum / Float(batches), testAccuracy,
    Double(trainX.shape[0]) / seconds))
}
