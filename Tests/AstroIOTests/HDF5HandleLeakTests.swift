import AstroIO
import _CHDF5
import XCTest

/// Every identifier the library hands out must be closed again, on success and on error paths.
final class HDF5HandleLeakTests: TemporaryFolderTestCase {
  /// Open files, groups, datasets, attributes and named types in all files, as HDF5 counts them
  /// (H5F_OBJ_ALL = 0x1F, a macro Swift cannot import). Free-standing dataspaces and datatypes are
  /// not counted by any public HDF5 call; those are covered by a `defer` right after each creation.
  private func openIdentifiers() -> Int {
    Int(H5Fget_obj_count(0x1F, 0x1F))
  }

  func testNoIdentifiersLeftOpen() throws {
    let fixture = try Fixtures.path("data/braai/d6_m7.h5")
    let baseline = openIdentifiers()
    XCTAssertGreaterThanOrEqual(baseline, 0)
    do {
      let file = try HDF5File(path: fixture, mode: .readOnly)
      XCTAssertEqual(openIdentifiers(), baseline + 1, "the counter sees the open file")
      _ = try file.children(of: "/model_weights")
      _ = try file.stringAttribute("layer_names", of: "/model_weights")
      _ = try file.stringAttribute("weight_names", of: "/model_weights/dropout")
      _ = try file.readFloats("/model_weights/conv1/conv1/kernel:0")
      _ = try? file.readFloats("/model_weights/conv1")
      _ = try? file.readFloats("/model_weights/nope")
      _ = try? file.doubleAttribute("layer_names", of: "/model_weights")
      _ = try? file.children(of: "/model_weights/conv1/conv1/kernel:0")
      XCTAssertEqual(openIdentifiers(), baseline + 1, "only the file itself stays open between calls")
    }
    do {
      let keras3 = try HDF5File(path: Fixtures.path("reference/keras/vgg6_63x63x3.step.h5"), mode: .readOnly)
      _ = try keras3.stringAttribute("model_config", of: "/")
      _ = try keras3.doubleAttribute("loss", of: "/")
      _ = try? keras3.stringAttribute("loss", of: "/")
    }
    let path = temporaryPath("leak.h5")
    try HDF5File.writeAtomically(to: path) { file in
      try file.writeFloats("/a/b", shape: [2], values: [1, 2])
      try file.setStringAttribute("names", of: "/a", values: ["x", "yy"])
      try file.setStringAttribute("names", of: "/a", values: [])
      try file.setStringAttribute("config", of: "/", value: "{}")
      try file.setDoubleAttribute("loss", of: "/", value: 1)
      _ = try? file.writeFloats("/a/b", shape: [2], values: [1, 2])
      XCTAssertEqual(openIdentifiers(), baseline + 1)
    }
    _ = try? HDF5File.writeAtomically(to: path) { _ = try $0.readFloats("/missing") }
    _ = try? HDF5File(path: temporaryPath("absent.h5"), mode: .readOnly)
    XCTAssertEqual(openIdentifiers(), baseline, "every file and object closed")
  }
}
