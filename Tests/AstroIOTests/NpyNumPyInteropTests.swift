import AstroIO
import XCTest

/// Cross-checks against NumPy itself; skipped where python3 with numpy is absent (e.g. CI).
final class NpyNumPyInteropTests: TemporaryFolderTestCase {
  private func sampleArrays() throws -> [String: NpyArray] {
    [
      "float32": try NpyArray(shape: [2, 3, 2], floats: (0..<12).map { Float($0) * 0.1 - 0.55 }),
      "float64": try NpyArray(shape: [3], doubles: [Double.pi, -2.5e-300, 1e300]),
      "uint8": try NpyArray(shape: [2, 2], uint8s: [0, 7, 128, 255]),
      "int64": try NpyArray(shape: [4], int64s: [Int64.min, -1, 0, Int64.max]),
      "bool": try NpyArray(shape: [3], bools: [true, false, true]),
      "scalar": try NpyArray(shape: [], floats: [2.5]),
    ]
  }

  func testNumPyLoadsOurFilesAndWritesTheSameBytes() throws {
    try Python.require("numpy")
    let arrays = try sampleArrays()
    var paths: [String] = []
    for (name, array) in arrays.sorted(by: { $0.key < $1.key }) {
      let path = temporaryPath("\(name).npy")
      try array.write(to: path)
      paths.append(path)
    }
    // NumPy loads each file, reports what it sees, and saves it again for a byte comparison.
    let script = """
      import sys, json, numpy as np
      out = {}
      for path in sys.argv[1:]:
          a = np.load(path)
          np.save(path + '.numpy.npy', a)
          out[path] = {'dtype': a.dtype.str, 'shape': list(a.shape),
                       'values': [repr(v.item()) for v in a.ravel()]}
      print(json.dumps(out))
      """
    let seen = try XCTUnwrap(try Python.json(script, paths) as? [String: [String: Any]])
    for (name, array) in arrays {
      let path = temporaryPath("\(name).npy")
      let report = try XCTUnwrap(seen[path], name)
      XCTAssertEqual(report["dtype"] as? String, array.dtype.rawValue, name)
      XCTAssertEqual(report["shape"] as? [Int], array.shape, name)
      // repr() strings: exact for floats, and "True"/"False" for bools.
      let values = try XCTUnwrap(report["values"] as? [String], name)
      switch array.dtype {
      case .int64: XCTAssertEqual(values.map { Int64($0) }, array.int64s(), name)
      case .bool: XCTAssertEqual(values, array.uint8s().map { $0 != 0 ? "True" : "False" }, name)
      default: XCTAssertEqual(values.map { Double($0) }, array.doubles(), name)
      }
      XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path + ".numpy.npy")),
                     try Data(contentsOf: URL(fileURLWithPath: path)), "\(name): identical bytes to np.save")
    }
  }

  func testWeReadNumPyFiles() throws {
    try Python.require("numpy")
    let script = """
      import sys, numpy as np
      d = sys.argv[1]
      np.save(d + '/f32.npy', (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 10) / 8)
      np.save(d + '/u8.npy', np.arange(0, 256, 51, dtype=np.uint8).reshape(2, 3))
      np.save(d + '/i64.npy', np.array([-(2**63), -7, 0, 2**63 - 1], dtype=np.int64))
      np.save(d + '/bool.npy', np.array([[True, False], [False, True]]))
      np.save(d + '/f64.npy', np.float64(0.1))
      np.save(d + '/f32_t.npy', np.ascontiguousarray(np.arange(6, dtype=np.float32).reshape(2, 3).T))
      np.save(d + '/fortran.npy', np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
      print('ok')
      """
    let result = try XCTUnwrap(Python.run(script, [folder.path]))
    XCTAssertEqual(result.status, 0, result.errors)

    let f32 = try NpyArray.read(path: temporaryPath("f32.npy"))
    XCTAssertEqual(f32.shape, [2, 3, 4])
    XCTAssertEqual(f32.floats(), (0..<24).map { (Float($0) - 10) / 8 })
    let u8 = try NpyArray.read(path: temporaryPath("u8.npy"))
    XCTAssertEqual(u8.dtype, .uint8)
    XCTAssertEqual(u8.shape, [2, 3])
    XCTAssertEqual(u8.uint8s(), [0, 51, 102, 153, 204, 255])
    let i64 = try NpyArray.read(path: temporaryPath("i64.npy"))
    XCTAssertEqual(i64.int64s(), [Int64.min, -7, 0, Int64.max])
    let flags = try NpyArray.read(path: temporaryPath("bool.npy"))
    XCTAssertEqual(flags.dtype, .bool)
    XCTAssertEqual(flags.shape, [2, 2])
    XCTAssertEqual(flags.uint8s(), [1, 0, 0, 1])
    let scalar = try NpyArray.read(path: temporaryPath("f64.npy"))
    XCTAssertEqual(scalar.shape, [])
    XCTAssertEqual(scalar.doubles(), [0.1])
    XCTAssertEqual(try NpyArray.read(path: temporaryPath("f32_t.npy")).floats(), [0, 3, 1, 4, 2, 5])
    XCTAssertThrowsError(try NpyArray.read(path: temporaryPath("fortran.npy"))) { error in
      XCTAssertEqual((error as? NpyError)?.field, "fortran_order")
    }
  }
}
