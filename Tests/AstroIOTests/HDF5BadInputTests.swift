import AstroIO
import XCTest

/// Bad files and bad paths throw HDF5Errors naming the file; nothing crashes or prints.
final class HDF5BadInputTests: TemporaryFolderTestCase {
  private func assertHDF5Error(_ expression: @autoclosure () throws -> some Any, contains fragments: [String],
                               file: StaticString = #filePath, line: UInt = #line) {
    var printed = ""
    do {
      printed = try capturingStandardError { _ = try expression() }
      XCTFail("no error thrown", file: file, line: line)
    } catch let error as HDF5Error {
      for fragment in fragments {
        XCTAssertTrue(error.description.contains(fragment), "'\(error)' lacks '\(fragment)'", file: file, line: line)
      }
    } catch {
      XCTFail("not an HDF5Error: \(error)", file: file, line: line)
    }
    XCTAssertEqual(printed, "", file: file, line: line)
  }

  func testMissingFile() {
    let path = temporaryPath("missing.h5")
    assertHDF5Error(try HDF5File(path: path, mode: .readOnly), contains: ["missing.h5: ", "no such file", path])
    assertHDF5Error(try HDF5File(path: path, mode: .readWrite), contains: ["missing.h5: ", "no such file"])
  }

  func testTextFileNamedH5() throws {
    let path = temporaryPath("notes.h5")
    try "this is not HDF5\n".write(toFile: path, atomically: true, encoding: .utf8)
    assertHDF5Error(try HDF5File(path: path, mode: .readOnly), contains: ["notes.h5: ", "not an HDF5 file"])
    let empty = temporaryPath("empty.h5")
    _ = FileManager.default.createFile(atPath: empty, contents: Data())
    assertHDF5Error(try HDF5File(path: empty, mode: .readOnly), contains: ["empty.h5: ", "not an HDF5 file"])
  }

  func testTruncatedFile() throws {
    let original = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("data/braai/d6_m7.h5")))
    let path = temporaryPath("d6_m7_truncated.h5")
    try original.prefix(10 * 1024).write(to: URL(fileURLWithPath: path))
    // The superblock survives, so HDF5 recognises the signature; opening must still fail cleanly.
    assertHDF5Error(try HDF5File(path: path, mode: .readOnly),
                    contains: ["d6_m7_truncated.h5: ", "cannot open", "truncated"])
  }

  func testCorruptedBodyReadsThrowOrDiffer() throws {
    // Same length, superblock intact, everything after the first 2 KB zeroed: opening may work, but
    // every read must fail with an error (or return data) rather than crash.
    var bytes = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("data/braai/d6_m7.h5")))
    bytes.replaceSubrange(2048..<bytes.count, with: Data(count: bytes.count - 2048))
    let path = temporaryPath("zeroed.h5")
    try bytes.write(to: URL(fileURLWithPath: path))
    var failures = 0
    let printed = capturingStandardError {
      do {
        let file = try HDF5File(path: path, mode: .readOnly)
        for attempt in [{ _ = try file.children(of: "/model_weights") },
                        { _ = try file.stringAttribute("layer_names", of: "/model_weights") },
                        { _ = try file.readFloats("/model_weights/conv1/conv1/kernel:0") }] {
          do { try attempt() } catch let error as HDF5Error {
            XCTAssertTrue(error.description.hasPrefix("zeroed.h5: "), "\(error)")
            failures += 1
          } catch { XCTFail("not an HDF5Error: \(error)") }
        }
      } catch let error as HDF5Error {
        XCTAssertTrue(error.description.hasPrefix("zeroed.h5: "), "\(error)")
        failures = 3
      } catch { XCTFail("not an HDF5Error: \(error)") }
    }
    XCTAssertEqual(failures, 3, "reads of a zeroed file should all fail")
    XCTAssertEqual(printed, "")
  }

  func testMissingObjects() throws {
    let file = try HDF5File(path: Fixtures.path("data/braai/d6_m7.h5"), mode: .readOnly)
    XCTAssertThrowsError(try file.children(of: "/model_weights/conv9")) { error in
      XCTAssertEqual("\(error)", "d6_m7.h5: /model_weights/conv9: no such group")
    }
    assertHDF5Error(try file.readFloats("/model_weights/conv1/conv1/kernel:9"),
                    contains: ["d6_m7.h5: /model_weights/conv1/conv1/kernel:9: no such dataset"])
    assertHDF5Error(try file.readFloats("/model_weights/conv9/conv9/kernel:0"),
                    contains: ["d6_m7.h5: /model_weights/conv9/conv9/kernel:0: no such dataset"])
    assertHDF5Error(try file.readFloats("/model_weights/conv1"),
                    contains: ["d6_m7.h5: /model_weights/conv1: not a dataset"])
    assertHDF5Error(try file.children(of: "/model_weights/conv1/conv1/kernel:0"), contains: ["not a group"])
    assertHDF5Error(try file.stringAttribute("weight_names", of: "/model_weights/conv9"),
                    contains: ["d6_m7.h5: /model_weights/conv9: no such object"])
    // Wrong attribute kinds.
    assertHDF5Error(try file.doubleAttribute("layer_names", of: "/model_weights"),
                    contains: ["d6_m7.h5: /model_weights attribute 'layer_names': not numeric"])
    let step = try HDF5File(path: Fixtures.path("reference/keras/vgg6_63x63x3.step.h5"), mode: .readOnly)
    assertHDF5Error(try step.stringAttribute("loss", of: "/"),
                    contains: ["vgg6_63x63x3.step.h5: / attribute 'loss': not a string attribute"])
  }
}
