import AstroIO
import XCTest
import _CHDF5

/// A dataset may declare any size in a few bytes of header: reads are refused before a buffer is sized from it.
final class HDF5DeclaredSizeTests: TemporaryFolderTestCase {
  /// Writes a file whose dataset `/big` declares `count` float32 elements but stores none (late allocation, or
  /// deflate-compressed chunks that were never written), as a hostile or truncated file would.
  private func fileDeclaring(_ count: UInt64, compressed: Bool) throws -> String {
    let path = temporaryPath(compressed ? "bomb.h5" : "liar.h5")
    let file = H5Fcreate(path, shim_f_acc_trunc(), shim_p_default(), shim_p_default())
    XCTAssertGreaterThanOrEqual(file, 0)
    var dims: [hsize_t] = [count]
    let space = H5Screate_simple(1, &dims, nil)
    let plist = H5Pcreate(shim_p_dataset_create())
    if compressed {
      var chunk: [hsize_t] = [1 << 20]
      H5Pset_chunk(plist, 1, &chunk)
      H5Pset_deflate(plist, 9)
    } else {
      H5Pset_alloc_time(plist, H5D_ALLOC_TIME_LATE)
    }
    let dataset = H5Dcreate2(file, "/big", shim_ieee_f32le(), space, shim_p_default(), plist, shim_p_default())
    XCTAssertGreaterThanOrEqual(dataset, 0)
    H5Dclose(dataset)
    H5Pclose(plist)
    H5Sclose(space)
    H5Fclose(file)
    return path
  }

  func testAnUncompressedDatasetLargerThanItsFileIsRefusedBeforeReading() throws {
    let path = try fileDeclaring(1 << 28, compressed: false)
    let file = try HDF5File(path: path, mode: .readOnly)
    XCTAssertEqual(try file.datasetShape("/big"), [1 << 28], "the header itself is readable")
    XCTAssertThrowsError(try file.readFloats("/big")) { error in
      XCTAssertTrue("\(error)".contains("liar.h5: /big: declares 268435456 elements (1073741824 bytes), more than the file can hold"), "\(error)")
    }
  }

  func testACompressionBombIsRefused() throws {
    let path = try fileDeclaring(1 << 40, compressed: true)
    XCTAssertThrowsError(try HDF5File(path: path, mode: .readOnly).readFloats("/big")) { error in
      XCTAssertTrue("\(error)".contains("bomb.h5: /big: declares 1099511627776 elements"), "\(error)")
    }
  }

  func testTheExpectedShapeIsComparedBeforeReading() throws {
    let path = temporaryPath("small.h5")
    try HDF5File.writeAtomically(to: path) { try $0.writeFloats("/w", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]) }
    let file = try HDF5File(path: path, mode: .readOnly)
    XCTAssertEqual(try file.readFloats("/w", expecting: [2, 3]).values, [1, 2, 3, 4, 5, 6])
    XCTAssertThrowsError(try file.readFloats("/w", expecting: [3, 2])) { error in
      XCTAssertTrue("\(error)".contains("small.h5: /w: shape [2, 3] in the file, expected [3, 2]"), "\(error)")
    }
  }

  func testTheReadCapIsConfigurable() throws {
    let path = temporaryPath("cap.h5")
    try HDF5File.writeAtomically(to: path) { try $0.writeFloats("/w", shape: [100], values: Array(repeating: 1, count: 100)) }
    XCTAssertThrowsError(try HDF5File(path: path, mode: .readOnly, maximumReadBytes: 256).readFloats("/w")) { error in
      XCTAssertTrue("\(error)".contains("declares 100 elements, more than this reader allows (256 bytes)"), "\(error)")
    }
    XCTAssertEqual(try HDF5File(path: path, mode: .readOnly, maximumReadBytes: 400).readFloats("/w").values.count, 100)
  }
}
