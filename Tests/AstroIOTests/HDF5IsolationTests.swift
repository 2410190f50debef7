import AstroIO
import Foundation
import XCTest
import _CHDF5

/// `HDF5Isolation.check` reads a file in the `astro-h5check` child process: a clean file passes, a bad one gives the
/// child's error, and a child that dies (as libhdf5 does on some malformed files) gives an error, not a crash.
final class HDF5IsolationTests: TemporaryFolderTestCase {
  private func withHelper(_ path: String, _ body: () throws -> Void) rethrows {
    setenv("ASTRO_H5CHECK", path, 1)
    defer { unsetenv("ASTRO_H5CHECK") }
    try body()
  }

  private func requireHelper() throws {
    guard HDF5Isolation.helperPath() != nil else {
      throw XCTSkip("astro-h5check is not built beside the tests (swift build --product astro-h5check)")
    }
  }

  func testAGoodFilePassesAndABadOneGivesTheChildsError() throws {
    try requireHelper()
    let good = temporaryPath("good.h5")
    try HDF5File.writeAtomically(to: good) { try $0.writeFloats("/w", shape: [2], values: [1, 2]) }
    XCTAssertNoThrow(try HDF5Isolation.check(good))
    let text = temporaryPath("text.h5")
    try "not HDF5".write(toFile: text, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try HDF5Isolation.check(text)) { error in
      XCTAssertEqual("\(error)", "text.h5: not an HDF5 file: \(text)")
    }
  }

  func testAChildThatDiesIsAnErrorNamingTheFile() throws {
    // Stands in for libhdf5 crashing on a malformed file: the child kills itself with SIGSEGV.
    let helper = temporaryPath("crashing-check")
    try "#!/bin/sh\nkill -SEGV $$\n".write(toFile: helper, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: helper)
    let file = temporaryPath("weights.h5")
    try HDF5File.writeAtomically(to: file) { try $0.writeFloats("/w", shape: [1], values: [1]) }
    try withHelper(helper) {
      XCTAssertThrowsError(try HDF5Isolation.check(file)) { error in
        XCTAssertEqual(
          "\(error)", "weights.h5: libhdf5 crashed reading the file (signal 11, in the child check): it is malformed and was not loaded")
      }
    }
    try withHelper(temporaryPath("no-such-helper")) {
      XCTAssertThrowsError(try HDF5Isolation.check(file)) { XCTAssertTrue("\($0)".contains("cannot start"), "\($0)") }
    }
  }

  func testWalksAreBoundedAgainstCyclesOfLinks() throws {
    let path = temporaryPath("deep.h5")
    try HDF5File.writeAtomically(to: path) { file in
      try file.createGroup("/" + (0..<40).map { "g\($0)" }.joined(separator: "/"))
    }
    let file = try HDF5File(path: path, mode: .readOnly)
    XCTAssertThrowsError(try file.walk { _, _ in }) { XCTAssertTrue("\($0)".contains("nested deeper than 32"), "\($0)") }
    XCTAssertThrowsError(try file.readEverything())
    var count = 0
    try file.walk(maximumDepth: 64) { _, _ in count += 1 }
    XCTAssertEqual(count, 40)
  }

  func testAGroupThatContainsItselfIsRefused() throws {
    let path = temporaryPath("loop.h5")
    let fid = H5Fcreate(path, shim_f_acc_trunc(), shim_p_default(), shim_p_default())
    let gid = H5Gcreate2(fid, "/a", shim_p_default(), shim_p_default(), shim_p_default())
    XCTAssertGreaterThanOrEqual(H5Lcreate_hard(fid, "/a", fid, "/a/loop", shim_p_default(), shim_p_default()), 0)
    H5Gclose(gid)
    H5Fclose(fid)
    XCTAssertThrowsError(try HDF5File(path: path, mode: .readOnly).readEverything()) { error in
      XCTAssertTrue("\(error)".contains("nested deeper than 32 (a cycle of links?)"), "\(error)")
    }
  }
}
