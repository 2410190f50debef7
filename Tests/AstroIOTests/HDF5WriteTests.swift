import AstroIO
import XCTest

/// Writing: groups, datasets, Keras-style attributes, atomic replacement.
final class HDF5WriteTests: TemporaryFolderTestCase {
  struct BodyFailure: Error {}

  /// Writes the file the round-trip and h5py tests share.
  private func writeSample(to path: String) throws {
    try HDF5File.writeAtomically(to: path) { file in
      try file.createGroup("/model_weights/conv1/conv1")
      try file.createGroup("/model_weights/dropout")
      try file.setStringAttribute("layer_names", of: "/model_weights", values: ["conv1", "dropout"])
      try file.setStringAttribute("weight_names", of: "/model_weights/conv1",
                                  values: ["conv1/kernel:0", "conv1/bias:0"])
      try file.setStringAttribute("weight_names", of: "/model_weights/dropout", values: [])
      try file.setStringAttribute("keras_version", of: "/", value: "2.2.4-tf")
      try file.setDoubleAttribute("loss", of: "/", value: 0.6979418396949768)
      try file.writeFloats("/model_weights/conv1/conv1/kernel:0", shape: [3, 3, 1, 2],
                           values: (0..<18).map { Float($0) * 0.5 - 4 })
      try file.writeFloats("/model_weights/conv1/conv1/bias:0", shape: [2], values: [0.25, -1e-30])
      // Parent groups are created on demand.
      try file.writeDoubles("/stats/mean", shape: [], values: [Double.pi])
      try file.writeInt64s("/stats/counts", shape: [2, 2], values: [1, -2, Int64.max, Int64.min])
      try file.writeUInt8s("/stats/mask", shape: [3], values: [0, 1, 255])
      try file.writeFloats("/stats/empty", shape: [0, 4], values: [])
    }
  }

  func testRoundTrip() throws {
    let path = temporaryPath("sample.h5")
    try writeSample(to: path)
    let file = try HDF5File(path: path, mode: .readOnly)
    XCTAssertEqual(try file.stringAttribute("layer_names", of: "/model_weights"), ["conv1", "dropout"])
    XCTAssertEqual(try file.stringAttribute("weight_names", of: "/model_weights/conv1"),
                   ["conv1/kernel:0", "conv1/bias:0"])
    XCTAssertEqual(try file.stringAttribute("weight_names", of: "/model_weights/dropout"), [])
    XCTAssertEqual(try file.stringAttribute("keras_version", of: "/"), ["2.2.4-tf"])
    XCTAssertEqual(try file.doubleAttribute("loss", of: "/"), 0.6979418396949768)

    let kernel = try file.readFloats("/model_weights/conv1/conv1/kernel:0")
    XCTAssertEqual(kernel.shape, [3, 3, 1, 2])
    XCTAssertEqual(kernel.values, (0..<18).map { Float($0) * 0.5 - 4 })
    XCTAssertEqual(try file.readFloats("/model_weights/conv1/conv1/bias:0").values, [0.25, -1e-30])
    let mean = try file.readDoubles("/stats/mean")
    XCTAssertEqual(mean.shape, [])
    XCTAssertEqual(mean.values, [Double.pi])
    XCTAssertEqual(try file.readInt64s("/stats/counts").values, [1, -2, Int64.max, Int64.min])
    XCTAssertEqual(try file.readInt64s("/stats/mask").values, [0, 1, 255])
    XCTAssertEqual(try file.readFloats("/stats/mask").values, [0, 1, 255], "uint8 converts to float")
    let empty = try file.readFloats("/stats/empty")
    XCTAssertEqual(empty.shape, [0, 4])
    XCTAssertEqual(empty.values, [])
    XCTAssertEqual(try file.children(of: "/"), ["model_weights", "stats"])
    XCTAssertEqual(try file.children(of: "/stats"), ["counts", "empty", "mask", "mean"])
  }

  func testAttributesAreReplacedAndLargeOnesChunkedLikeKeras() throws {
    let path = temporaryPath("attributes.h5")
    // 3000 names of 40 bytes = 120,000 bytes > Keras' 64,512-byte limit: two chunks of 1500.
    let names = (0..<3000).map { "layer_\(String(repeating: "x", count: 34 - String($0).count))_\($0)" }
    XCTAssertEqual(Set(names.map(\.utf8.count)), [41])
    let config = String(repeating: "{\"layer\": 1}, ", count: 20_000) // 280 kB scalar string
    try HDF5File.writeAtomically(to: path) { file in
      try file.setStringAttribute("layer_names", of: "/", values: ["old"])
      try file.setStringAttribute("layer_names", of: "/", values: names)
      try file.setStringAttribute("model_config", of: "/", value: config)
      try file.setDoubleAttribute("loss", of: "/", value: 1)
      try file.setDoubleAttribute("loss", of: "/", value: 2)
    }
    let file = try HDF5File(path: path, mode: .readOnly)
    XCTAssertEqual(try file.stringAttribute("layer_names", of: "/"), names)
    XCTAssertEqual(try file.stringAttribute("layer_names0", of: "/")?.count, 1500)
    XCTAssertEqual(try file.stringAttribute("layer_names1", of: "/")?.count, 1500)
    XCTAssertNil(try file.stringAttribute("layer_names2", of: "/"))
    XCTAssertEqual(try file.stringAttribute("model_config", of: "/"), [config])
    XCTAssertEqual(try file.doubleAttribute("loss", of: "/"), 2)
    try file.close() // HDF5 refuses to open a file read-write while it is open read-only

    // Rewriting a short list removes the stale chunks.
    let rewrite = try HDF5File(path: path, mode: .readWrite)
    try rewrite.setStringAttribute("layer_names", of: "/", values: ["a", "bc"])
    try rewrite.close()
    let reread = try HDF5File(path: path, mode: .readOnly)
    XCTAssertEqual(try reread.stringAttribute("layer_names", of: "/"), ["a", "bc"])
    XCTAssertNil(try reread.stringAttribute("layer_names0", of: "/"))
  }

  func testWriteMisuseThrows() throws {
    let path = temporaryPath("misuse.h5")
    let file = try HDF5File(path: path, mode: .create(truncate: false))
    try file.writeFloats("/a", shape: [2], values: [1, 2])
    XCTAssertThrowsError(try file.writeFloats("/a", shape: [2], values: [1, 2])) { error in
      XCTAssertEqual("\(error)", "misuse.h5: /a: already exists")
    }
    XCTAssertThrowsError(try file.writeFloats("/b", shape: [2, 2], values: [1, 2])) { error in
      XCTAssertEqual("\(error)", "misuse.h5: /b: shape [2, 2] needs 4 values, got 2")
    }
    XCTAssertThrowsError(try file.createGroup("/a/inside")) { error in
      XCTAssertEqual("\(error)", "misuse.h5: /a: exists and is not a group")
    }
    XCTAssertThrowsError(try file.setDoubleAttribute("x", of: "/missing", value: 1)) { error in
      XCTAssertEqual("\(error)", "misuse.h5: /missing: no such object")
    }
    try file.close()
    XCTAssertThrowsError(try file.readFloats("/a")) { error in
      XCTAssertEqual("\(error)", "misuse.h5: /a: file is closed")
    }
    // Exclusive create refuses an existing file; read-only refuses writes.
    XCTAssertThrowsError(try HDF5File(path: path, mode: .create(truncate: false))) { error in
      XCTAssertTrue("\(error)".hasPrefix("misuse.h5: cannot create"), "\(error)")
    }
    let readOnly = try HDF5File(path: path, mode: .readOnly)
    XCTAssertThrowsError(try readOnly.writeFloats("/c", shape: [1], values: [1])) { error in
      XCTAssertEqual("\(error)", "misuse.h5: /c: file is open read-only")
    }
    XCTAssertEqual(try readOnly.readFloats("/a").values, [1, 2])
    // Truncating create starts over.
    try readOnly.close()
    let fresh = try HDF5File(path: path, mode: .create(truncate: true))
    XCTAssertFalse(fresh.exists("/a"))
  }

  func testAtomicWriteLeavesPreviousFileOnError() throws {
    let path = temporaryPath("model.h5")
    try HDF5File.writeAtomically(to: path) { try $0.setStringAttribute("version", of: "/", value: "first") }
    let before = try Data(contentsOf: URL(fileURLWithPath: path))

    XCTAssertThrowsError(try HDF5File.writeAtomically(to: path) { file in
      try file.setStringAttribute("version", of: "/", value: "second")
      try file.writeFloats("/w", shape: [1000], values: Array(repeating: 1, count: 1000))
      throw BodyFailure()
    }) { error in
      XCTAssertTrue(error is BodyFailure, "the body's own error comes back: \(error)")
    }
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["model.h5"])

    // Errors inside the library are HDF5Errors, and also leave the destination alone.
    XCTAssertThrowsError(try HDF5File.writeAtomically(to: path) { _ = try $0.readFloats("/nothing") }) { error in
      XCTAssertTrue(error is HDF5Error, "\(error)")
    }
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["model.h5"])

    try HDF5File.writeAtomically(to: path) { try $0.setStringAttribute("version", of: "/", value: "third") }
    XCTAssertEqual(try HDF5File(path: path, mode: .readOnly).stringAttribute("version", of: "/"), ["third"])
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["model.h5"])
  }

  func testAtomicWriteIntoMissingFolderThrows() throws {
    let path = temporaryPath("no/such/folder/model.h5")
    XCTAssertThrowsError(try HDF5File.writeAtomically(to: path) { _ in }) { error in
      XCTAssertTrue("\(error)".hasPrefix("model.h5: cannot create temporary file"), "\(error)")
    }
  }

  /// What h5py (and so Keras' legacy loader) sees in a file we wrote; skipped without h5py.
  func testH5pyReadsWhatWeWrite() throws {
    try Python.require("h5py, numpy")
    let path = temporaryPath("sample.h5")
    try writeSample(to: path)
    let script = """
      import sys, json, h5py, numpy as np
      with h5py.File(sys.argv[1], 'r') as f:
          names = f['model_weights'].attrs['layer_names']
          weights = f['model_weights/conv1'].attrs['weight_names']
          empty = f['model_weights/dropout'].attrs['weight_names']
          kernel = f['model_weights/conv1/conv1/kernel:0']
          print(json.dumps({
              'names': [n.decode() for n in names], 'names_kind': names.dtype.kind,
              'names_itemsize': names.dtype.itemsize, 'is_array': isinstance(names, np.ndarray),
              'weights': [n.decode() for n in weights], 'weights_itemsize': weights.dtype.itemsize,
              'empty_shape': list(empty.shape), 'empty_dtype': str(empty.dtype),
              'version': f.attrs['keras_version'].decode(), 'loss': repr(float(f.attrs['loss'])),
              'kernel_dtype': kernel.dtype.str, 'kernel_shape': list(kernel.shape),
              'kernel': [repr(float(v)) for v in kernel[()].ravel()],
              'counts': [int(v) for v in f['stats/counts'][()].ravel()],
              'mask_dtype': f['stats/mask'].dtype.str}))
      """
    let seen = try XCTUnwrap(try Python.json(script, [path]) as? [String: Any])
    XCTAssertEqual(seen["names"] as? [String], ["conv1", "dropout"])
    XCTAssertEqual(seen["names_kind"] as? String, "S")
    XCTAssertEqual(seen["names_itemsize"] as? Int, 7)
    XCTAssertEqual(seen["is_array"] as? Bool, true)
    XCTAssertEqual(seen["weights"] as? [String], ["conv1/kernel:0", "conv1/bias:0"])
    XCTAssertEqual(seen["weights_itemsize"] as? Int, 14)
    XCTAssertEqual(seen["empty_shape"] as? [Int], [0])
    XCTAssertEqual(seen["empty_dtype"] as? String, "float64")
    XCTAssertEqual(seen["version"] as? String, "2.2.4-tf")
    XCTAssertEqual(Python.doubles([seen["loss"] as Any])?.first, 0.6979418396949768)
    XCTAssertEqual(seen["kernel_dtype"] as? String, "<f4")
    XCTAssertEqual(seen["kernel_shape"] as? [Int], [3, 3, 1, 2])
    XCTAssertEqual(Python.doubles(seen["kernel"]), (0..<18).map { Double($0) * 0.5 - 4 })
    XCTAssertEqual((seen["counts"] as? [NSNumber])?.map(\.int64Value), [1, -2, Int64.max, Int64.min])
    XCTAssertEqual(seen["mask_dtype"] as? String, "|u1")
  }
}
