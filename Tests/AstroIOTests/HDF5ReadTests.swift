import AstroIO
import XCTest

/// Reading the real Keras files in ../shared: Keras 2 (fixed-length strings) and Keras 3
/// (variable-length strings) layouts.
final class HDF5ReadTests: XCTestCase {
  static let braaiLayers = [
    "conv1", "conv2", "max_pooling2d", "dropout", "conv3", "conv4",
    "max_pooling2d_1", "dropout_1", "flatten", "fc_1", "dropout_2", "fc_out",
  ]

  func testBraaiKeras2Layout() throws {
    let file = try HDF5File(path: Fixtures.path("data/braai/d6_m7.h5"), mode: .readOnly)
    XCTAssertEqual(try file.stringAttribute("layer_names", of: "/model_weights"), Self.braaiLayers)
    XCTAssertEqual(try file.stringAttribute("weight_names", of: "/model_weights/conv1"),
                   ["conv1/kernel:0", "conv1/bias:0"])
    // h5py stores an empty list as an empty float64 array.
    XCTAssertEqual(try file.stringAttribute("weight_names", of: "/model_weights/dropout"), [])
    XCTAssertEqual(try file.stringAttribute("keras_version", of: "/"), ["2.2.4-tf"])
    XCTAssertEqual(try file.stringAttribute("backend", of: "/model_weights"), ["tensorflow"])
    XCTAssertNil(try file.stringAttribute("no_such_attribute", of: "/model_weights"))
    XCTAssertNil(try file.doubleAttribute("no_such_attribute", of: "/"))

    let kernel = try file.readFloats("/model_weights/conv1/conv1/kernel:0")
    XCTAssertEqual(kernel.shape, [3, 3, 3, 16])
    XCTAssertEqual(kernel.values.count, 3 * 3 * 3 * 16)
    // kernel[0, 0, 0, :4] as printed by h5py.
    for (got, want) in zip(kernel.values.prefix(4), [Float(0.17426142), 0.1842094, -0.20142843, -0.13366158]) {
      XCTAssertEqual(got, want, accuracy: 1e-7)
    }
    XCTAssertEqual(try file.datasetShape("/model_weights/conv1/conv1/bias:0"), [16])

    XCTAssertTrue(file.exists("/"))
    XCTAssertTrue(file.isGroup("/model_weights/conv1"))
    XCTAssertFalse(file.isDataset("/model_weights/conv1"))
    XCTAssertTrue(file.isDataset("model_weights/conv1/conv1/kernel:0"), "paths without a leading / are from the root")
    XCTAssertFalse(file.exists("/model_weights/conv9/conv9/kernel:0"))
    XCTAssertEqual(try file.children(of: "/"), ["model_weights", "optimizer_weights"])
    XCTAssertEqual(try file.children(of: "/model_weights"), Self.braaiLayers.sorted())
    XCTAssertEqual(try file.children(of: "/model_weights/conv1/conv1"), ["bias:0", "kernel:0"])
  }

  func testSameWeightsInFullModelAndWeightsOnlyFiles() throws {
    let model = try HDF5File(path: Fixtures.path("data/braai/d6_m7.h5"), mode: .readOnly)
    let weights = try HDF5File(path: Fixtures.path("data/braai/d6_m7.weights.h5"), mode: .readOnly)
    XCTAssertEqual(try weights.stringAttribute("layer_names", of: "/"), Self.braaiLayers)
    for name in ["kernel:0", "bias:0"] {
      let a = try model.readFloats("/model_weights/conv1/conv1/\(name)")
      let b = try weights.readFloats("/conv1/conv1/\(name)")
      XCTAssertEqual(a.shape, b.shape)
      XCTAssertEqual(a.values, b.values)
    }
    // Doubles and floats read the same stored float32 values.
    let asDoubles = try model.readDoubles("/model_weights/fc_out/fc_out/kernel:0")
    let asFloats = try model.readFloats("/model_weights/fc_out/fc_out/kernel:0")
    XCTAssertEqual(asDoubles.values, asFloats.values.map(Double.init))
  }

  func testKeras3VariableLengthStrings() throws {
    let file = try HDF5File(path: Fixtures.path("reference/keras/densenet121_144x144x1.h5"), mode: .readOnly)
    let layers = try XCTUnwrap(try file.stringAttribute("layer_names", of: "/model_weights"))
    XCTAssertEqual(layers.count, 429)
    XCTAssertEqual(layers.first, "input_layer_3")
    XCTAssertEqual(try file.stringAttribute("weight_names", of: "/model_weights/conv2d_61"), ["conv2d_61/kernel"])
    XCTAssertEqual(try file.stringAttribute("weight_names", of: "/model_weights/batch_normalization_100")?.count, 4)
    XCTAssertEqual(try file.datasetShape("/model_weights/conv2d_61/conv2d_61/kernel"), [7, 7, 1, 64])
    // Scalar variable-length strings: version and the JSON model config.
    XCTAssertEqual(try file.stringAttribute("keras_version", of: "/"), ["3.15.1"])
    let config = try XCTUnwrap(try file.stringAttribute("model_config", of: "/")?.first)
    XCTAssertTrue(config.hasPrefix("{\"class_name\": \"Functional\""), String(config.prefix(60)))
  }

  func testStepFixtureAttributesAndDatasets() throws {
    let file = try HDF5File(path: Fixtures.path("reference/keras/vgg6_63x63x3.step.h5"), mode: .readOnly)
    let loss = try XCTUnwrap(try file.doubleAttribute("loss", of: "/"))
    XCTAssertEqual(loss, 0.6979418396949768, accuracy: 1e-15)
    XCTAssertEqual(try file.doubleAttribute("lr", of: "/") ?? 0, 0.0003, accuracy: 1e-12)
    XCTAssertEqual(try file.stringAttribute("layer_names", of: "/"),
                   ["conv1", "conv2", "conv3", "conv4", "fc_1", "fc_out"])
    XCTAssertEqual(try file.children(of: "/"), ["after", "before", "grads", "x", "y"])
    let x = try file.readFloats("/x")
    XCTAssertEqual(x.shape, [8, 63, 63, 3])
    XCTAssertEqual(x.values.count, 8 * 63 * 63 * 3)
    let y = try file.readFloats("/y")
    XCTAssertEqual(y.shape, [8])
    // Labels are 0/1, so the int64 conversion is exact.
    XCTAssertEqual(try file.readInt64s("/y").values, y.values.map { Int64($0) })
  }

  /// Cross-check against h5py where it is installed (not in CI).
  func testValuesAgreeWithH5py() throws {
    let path = try Fixtures.path("reference/keras/densenet121_144x144x1.h5")
    try Python.require("h5py, numpy")
    let dataset = "/model_weights/conv2d_61/conv2d_61/kernel"
    let script = """
      import sys, json, h5py, numpy as np
      with h5py.File(sys.argv[1], 'r') as f:
          d = f[sys.argv[2]][()]
          names = [n.decode() if isinstance(n, bytes) else n for n in f['model_weights'].attrs['layer_names']]
          print(json.dumps({'shape': list(d.shape), 'head': [repr(float(v)) for v in d.ravel()[:8]],
                            'sum': repr(float(d.astype(np.float64).sum())), 'names': names}))
      """
    let reference = try XCTUnwrap(try Python.json(script, [path, dataset]) as? [String: Any])
    let file = try HDF5File(path: path, mode: .readOnly)
    let ours = try file.readFloats(dataset)
    XCTAssertEqual(ours.shape, reference["shape"] as? [Int])
    XCTAssertEqual(ours.values.prefix(8).map(Double.init), Python.doubles(reference["head"]))
    let sum = ours.values.reduce(0.0) { $0 + Double($1) }
    XCTAssertEqual(sum, try XCTUnwrap(Python.doubles([reference["sum"]])?.first), accuracy: 1e-9)
    XCTAssertEqual(try file.stringAttribute("layer_names", of: "/model_weights"), reference["names"] as? [String])
  }

  /// One process-wide lock serialises libhdf5; concurrent readers must not crash or corrupt data.
  func testConcurrentReadsAgree() throws {
    let path = try Fixtures.path("data/braai/d6_m7.h5")
    let expected = try HDF5File(path: path, mode: .readOnly).readFloats("/model_weights/fc_1/fc_1/kernel:0").values
    let shared = try HDF5File(path: path, mode: .readOnly)
    let results = ResultBox(count: 16)
    DispatchQueue.concurrentPerform(iterations: 16) { index in
      // Half share one file object, half open their own.
      let file = index.isMultiple(of: 2) ? shared : try? HDF5File(path: path, mode: .readOnly)
      let values = try? file?.readFloats("/model_weights/fc_1/fc_1/kernel:0").values
      let names = try? file?.stringAttribute("layer_names", of: "/model_weights")
      results.set(index, values == expected && names == Self.braaiLayers)
    }
    XCTAssertEqual(results.values, Array(repeating: true, count: 16))
  }
}

/// Thread-safe slots for results written from concurrentPerform.
private final class ResultBox: @unchecked Sendable {
  private let lock = NSLock()
  private var storage: [Bool]
  init(count: Int) { storage = Array(repeating: false, count: count) }
  func set(_ index: Int, _ value: Bool) { lock.lock(); storage[index] = value; lock.unlock() }
  var values: [Bool] { lock.lock(); defer { lock.unlock() }; return storage }
}
