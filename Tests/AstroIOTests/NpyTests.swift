import AstroIO
import XCTest

final class NpyTests: TemporaryFolderTestCase {
  /// A header built by hand: magic, version, little-endian length of the given width, text.
  private func handMade(version: UInt8, lengthBytes: Int, header: String, payload: Data) -> Data {
    let text = Array(header.utf8)
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    bytes += (0..<lengthBytes).map { UInt8(truncatingIfNeeded: text.count >> (8 * $0)) }
    return Data(bytes + text) + payload
  }

  private func littleEndian(_ values: [Float]) -> Data {
    values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Data($0) }
  }

  private func assertNpyError(_ data: Data, named name: String, field: String, contains fragment: String,
                              file: StaticString = #filePath, line: UInt = #line) throws {
    let path = temporaryPath(name)
    try data.write(to: URL(fileURLWithPath: path))
    XCTAssertThrowsError(try NpyArray.read(path: path), file: file, line: line) { error in
      guard let error = error as? NpyError else { return XCTFail("not an NpyError: \(error)", file: file, line: line) }
      XCTAssertEqual(error.field, field, "\(error)", file: file, line: line)
      XCTAssertTrue(error.description.hasPrefix("\(name): \(field): "), "\(error)", file: file, line: line)
      XCTAssertTrue(error.description.contains(fragment), "'\(error)' lacks '\(fragment)'", file: file, line: line)
    }
  }

  func testReadsKerasFixtures() throws {
    let input = try NpyArray.read(path: Fixtures.path("reference/keras/vgg6_63x63x3.input.npy"))
    XCTAssertEqual(input.shape, [4, 63, 63, 3])
    XCTAssertEqual(input.dtype, .float32)
    let values = input.floats()
    XCTAssertEqual(values.count, 4 * 63 * 63 * 3)
    for (got, want) in zip(values, [Float(-0.8019184), 0.03204996, 0.37044564]) {
      XCTAssertEqual(got, want, accuracy: 1e-7)
    }
    let logitPath = try Fixtures.path("reference/keras/vgg6_63x63x3.logit.npy")
    let logit = try NpyArray.read(path: logitPath)
    XCTAssertEqual(logit.shape, [4, 1])
    for (got, want) in zip(logit.floats(), [Float(-0.2535215), -0.23655707, -0.16564234]) {
      XCTAssertEqual(got, want, accuracy: 1e-7)
    }
    // Our writer reproduces NumPy's file byte for byte.
    XCTAssertEqual(logit.encoded(), try Data(contentsOf: URL(fileURLWithPath: logitPath)))
    XCTAssertEqual(input.encoded().prefix(128), try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(
      "reference/keras/vgg6_63x63x3.input.npy"))).prefix(128))
  }

  func testRoundTripAllDTypes() throws {
    let arrays = [
      try NpyArray(shape: [2, 3], floats: [0, -1.5, .infinity, 3.25, -0.0, 1e-38]),
      try NpyArray(shape: [3], doubles: [Double.pi, -1e300, .leastNonzeroMagnitude]),
      try NpyArray(shape: [2, 2], int64s: [Int64.min, -1, 0, Int64.max]),
      try NpyArray(shape: [4], uint8s: [0, 1, 127, 255]),
      try NpyArray(shape: [1, 3], bools: [true, false, true]),
      try NpyArray(shape: [], floats: [42]),
      try NpyArray(shape: [0, 5], doubles: []),
    ]
    for (index, array) in arrays.enumerated() {
      let path = temporaryPath("array\(index).npy")
      try array.write(to: path)
      let back = try NpyArray.read(path: path)
      XCTAssertEqual(back, array)
      let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
      let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
      XCTAssertEqual(bytes[6], 1, "version 1.0")
      XCTAssertEqual((10 + headerLength) % 64, 0, "data start 64-byte aligned")
      XCTAssertEqual(bytes[10 + headerLength - 1], 0x0A, "header ends in a newline")
    }
    XCTAssertEqual(arrays[0].floats()[2], .infinity)
    XCTAssertEqual(arrays[1].doubles(), [Double.pi, -1e300, .leastNonzeroMagnitude])
    XCTAssertEqual(arrays[2].int64s(), [Int64.min, -1, 0, Int64.max])
    XCTAssertEqual(arrays[3].uint8s(), [0, 1, 127, 255])
    XCTAssertEqual(arrays[4].uint8s(), [1, 0, 1])
    XCTAssertEqual(arrays[5].shape, [])
    XCTAssertEqual(arrays[5].floats(), [42])
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains("tmp") }, [])
    let header = String(decoding: arrays[0].encoded().prefix(128), as: UTF8.self)
    XCTAssertTrue(header.contains("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), header)
    XCTAssertTrue(String(decoding: arrays[3].encoded(), as: UTF8.self).contains("'shape': (4,), }"))
  }

  func testConversionsBetweenDTypes() throws {
    let floats = try NpyArray(shape: [5], floats: [1.9, -1.9, .nan, 300, -5])
    XCTAssertEqual(floats.int64s(), [1, -1, 0, 300, -5])
    XCTAssertEqual(floats.uint8s(), [1, 0, 0, 255, 0])
    XCTAssertEqual(try NpyArray(shape: [2], int64s: [-3, 1 << 40]).floats(), [-3, 1_099_511_627_776])
    XCTAssertEqual(try NpyArray(shape: [2], bools: [true, false]).doubles(), [1, 0])
    XCTAssertEqual(try NpyArray(shape: [2], doubles: [0.5, 2]).floats(), [0.5, 2])
    XCTAssertEqual(try NpyArray(shape: [3], dtype: .bool, data: Data([2, 0, 1])).uint8s(), [1, 0, 1])
    XCTAssertThrowsError(try NpyArray(shape: [2, 2], floats: [1, 2, 3]))
    XCTAssertThrowsError(try NpyArray(shape: [-1], floats: []))
  }

  func testVersion2And3Headers() throws {
    let payload = littleEndian([1, 2, 3, 4, 5, 6])
    let v2 = handMade(version: 2, lengthBytes: 4,
                      header: "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }     \n", payload: payload)
    let array = try NpyArray(data: v2, source: "v2.npy")
    XCTAssertEqual(array.shape, [3, 2])
    XCTAssertEqual(array.floats(), [1, 2, 3, 4, 5, 6])
    // Version 3.0, '=' (native) byte order, double quotes, key order and spacing NumPy never writes.
    let v3 = handMade(version: 3, lengthBytes: 4,
                      header: "{\"shape\":(6,),\"descr\":\"=f4\",  \"fortran_order\":False}\n", payload: payload)
    XCTAssertEqual(try NpyArray(data: v3).floats(), [1, 2, 3, 4, 5, 6])
    // Python 2 era 'L' suffixes and '<u1' for a byte type.
    let legacy = handMade(version: 1, lengthBytes: 2,
                          header: "{'descr': '<u1', 'fortran_order': False, 'shape': (2L, 1L), }\n",
                          payload: Data([7, 9]))
    XCTAssertEqual(try NpyArray(data: legacy).uint8s(), [7, 9])
    // Trailing bytes after the data section are ignored, as NumPy does.
    XCTAssertEqual(try NpyArray(data: v2 + Data([0xFF])).floats(), [1, 2, 3, 4, 5, 6])

    // A header too long for version 1.0 is written as 2.0.
    let manyAxes = try NpyArray(shape: Array(repeating: 1, count: 30_000), floats: [7])
    let encoded = manyAxes.encoded()
    XCTAssertEqual(encoded[6], 2)
    XCTAssertEqual(try NpyArray(data: encoded), manyAxes)
  }

  func testBadInputThrowsNamingFileAndField() throws {
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 63), }\n"
    let full = handMade(version: 1, lengthBytes: 2, header: header, payload: Data(count: 4 * 63 * 4))
    try assertNpyError(full.prefix(full.count - 1), named: "truncated.npy", field: "data", contains: "needs 1008")
    let written = temporaryPath("written.npy")
    try NpyArray(shape: [4, 63, 63, 3], floats: Array(repeating: 1, count: 47628)).write(to: written)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: written))
    try assertNpyError(bytes.prefix(10_000), named: "cut.npy", field: "data", contains: "needs 190512")

    try assertNpyError(handMade(version: 1, lengthBytes: 2,
                                header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n",
                                payload: Data(count: 8)),
                       named: "fortran.npy", field: "fortran_order", contains: "not supported")
    try assertNpyError(handMade(version: 1, lengthBytes: 2,
                                header: "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n",
                                payload: Data(count: 8)),
                       named: "bigendian.npy", field: "descr", contains: "big-endian '>f4'")
    try assertNpyError(handMade(version: 1, lengthBytes: 2,
                                header: "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n",
                                payload: Data(count: 16)),
                       named: "object.npy", field: "descr", contains: "object dtype")
    try assertNpyError(handMade(version: 1, lengthBytes: 2,
                                header: "{'descr': '|f4', 'fortran_order': False, 'shape': (2,), }\n",
                                payload: Data(count: 8)),
                       named: "pipe.npy", field: "descr", contains: "'|f4'")
    try assertNpyError(handMade(version: 1, lengthBytes: 2,
                                header: "{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }\n",
                                payload: Data(count: 4)),
                       named: "uint16.npy", field: "descr", contains: "unsupported dtype '<u2'")
    try assertNpyError(handMade(version: 1, lengthBytes: 2,
                                header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n",
                                payload: Data(count: 8)),
                       named: "structured.npy", field: "descr", contains: "structured")
    try assertNpyError(handMade(version: 1, lengthBytes: 2,
                                header: "{'descr': '<f4', 'fortran_order': False, }\n", payload: Data()),
                       named: "noshape.npy", field: "shape", contains: "missing")
    try assertNpyError(handMade(version: 1, lengthBytes: 2,
                                header: "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }\n",
                                payload: Data()),
                       named: "negative.npy", field: "shape", contains: ">= 0")
    try assertNpyError(handMade(version: 1, lengthBytes: 2, header: "{'descr': '<f4', 'fortran_order", payload: Data()),
                       named: "garbled.npy", field: "header", contains: "cannot parse")
    try assertNpyError(handMade(version: 4, lengthBytes: 2, header: "{}\n", payload: Data()),
                       named: "future.npy", field: "version", contains: "4.0")
    try assertNpyError(Data("not numpy at all".utf8), named: "text.npy", field: "magic", contains: "not a .npy file")
    var lying = handMade(version: 1, lengthBytes: 2, header: header, payload: Data())
    lying[8] = 0xFF // header length runs past the end
    try assertNpyError(lying, named: "lying.npy", field: "header", contains: "runs past the end")
    XCTAssertThrowsError(try NpyArray.read(path: temporaryPath("absent.npy"))) { error in
      XCTAssertTrue("\(error)".hasPrefix("absent.npy: file: cannot read"), "\(error)")
    }
  }
}

extension NpyTests {
  func testInt8AndInt32RoundTrip() throws {
    let small = try NpyArray(shape: [2, 2], int8s: [-128, -1, 0, 127])
    XCTAssertEqual(Array(small.encoded().prefix(70)).count, 70)
    let readSmall = try NpyArray(data: small.encoded())
    XCTAssertEqual(readSmall.dtype, .int8)
    XCTAssertEqual(readSmall.int8s(), [-128, -1, 0, 127])
    XCTAssertEqual(readSmall.int64s(), [-128, -1, 0, 127])
    let wide = try NpyArray(shape: [3], int32s: [-2_000_000_000, 5, 2_000_000_000])
    let readWide = try NpyArray(data: wide.encoded())
    XCTAssertEqual(readWide.dtype, .int32)
    XCTAssertEqual(readWide.int64s(), [-2_000_000_000, 5, 2_000_000_000])
    XCTAssertEqual(String(decoding: wide.encoded().prefix(60), as: UTF8.self).contains("'<i4'"), true)
    // Values beyond int8 clamp when read as int8.
    XCTAssertEqual(readWide.int8s(), [-128, 5, 127])
  }
}
