// A custom CNN on your own arrays: build, train with metrics and early stopping, predict, save.
// Run with: swift run -c release quick-start
import AstroNN
import AstroTensor

// Your arrays: N images [N, 32, 32, 1] and N labels [N] (here generated; Tensor.load(npy:) reads .npy files).
let (images, labels) = ToyData.blobsVersusHotPixels(count: 512, shape: [32, 32, 1], seed: 1)
let all = try Dataset(inputs: [images], targets: [labels])
let train = try all.subset(Array(0..<448)), validation = try all.subset(Array(448..<512))

let model = try ModelBuilder.sequential(name: "my_cnn", inputShape: [32, 32, 1], seed: 7, [
  Conv2D(16, kernelSize: (3, 3), activation: .relu), MaxPooling2D((2, 2)),
  Conv2D(32, kernelSize: (3, 3), activation: .relu), GlobalAveragePooling2D(),
  Dense(16, activation: .relu), Dense(1, activation: .sigmoid),
])
print(model.summary())

var configuration = TrainingConfiguration()
configuration.epochs = 6
configuration.batchSize = 32
configuration.metrics = [.accuracy, .auc, .fnr, .fpr]
configuration.progress = .lines
let trainer = Trainer(
  model: model, optimizer: Adam(learningRate: 3e-3), configuration: configuration,
  callbacks: [EarlyStopping(monitor: "val_loss", patience: 2, restoreBestWeights: true)])
try trainer.fit(train, validation: validation)

let scores = try model.predict(validation.inputs[0])              // [64, 1] sigmoid scores
print("first scores:", scores.values.prefix(4))
try model.saveKeras(to: "my_cnn.h5")                              // Keras' load_model reads it
