import AstroIO
import AstroNN
import Foundation

extension FuzzTargets {
  /// Arrays and weight files shared between groups or downloaded from papers' repositories.
  static let fileTargets: [FuzzTarget] = [
    FuzzTarget("npy", "a NumPy .npy array (magic, version, header dict, data), as `--npy` sets are read") { data in
      let array = try NpyArray(data: data, source: "fuzz.npy")
      _ = array.floats()
    },
    FuzzTarget("h5-weights", "Keras .h5 weights loaded into a model, as `braai score --weights` does") { data in
      try withScratchFile(data, suffix: "weights.h5") { try FuzzModels.small().loadKerasWeights(from: $0) }
    },
    FuzzTarget("h5-model", "a full Keras .h5 model (config, weights), as `astrolearn` loads `--model FILE.h5`") { data in
      try withScratchFile(data, suffix: "model.h5") { _ = try Model.loadKeras(from: $0) }
    },
  ]

  /// libhdf5 reads only files: the input is written to a scratch file of this process (in /dev/shm when there is
  /// one, so an execution costs no disk write), which is removed afterwards.
  static func withScratchFile(_ data: Data, suffix: String, _ body: (String) throws -> Void) throws {
    let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let path = (folder as NSString).appendingPathComponent("astro-fuzz-\(getpid())-\(suffix)")
    guard FileManager.default.createFile(atPath: path, contents: data) else {
      fatalError("cannot write the scratch file \(path)")  // the machine, not the input: stop the run
    }
    defer { try? FileManager.default.removeItem(atPath: path) }
    try body(path)
  }
}

/// The small models the weight and model targets load into, and their seeds are made from.
public enum FuzzModels {
  /// An 8x8x1 CNN with every kind of weight braai has (conv kernel and bias, dense kernel and bias).
  public static func small() throws -> Model {
    try ModelBuilder.sequential(name: "fuzz_cnn", inputShape: [8, 8, 1], seed: 1, [
      Conv2D(2, kernelSize: (3, 3), activation: .relu), MaxPooling2D((2, 2)), BatchNormalization(), Flatten(),
      Dense(1, activation: .sigmoid),
    ])
  }
}
