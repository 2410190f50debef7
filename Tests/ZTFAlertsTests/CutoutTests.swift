import Foundation
import XCTest
import ZTFAlerts

/// The cutouts of the real packets: gzip + FITS decoding, checked against astropy and NumPy.
final class CutoutTests: XCTestCase {
  func testEveryCutoutDecompressesAndParses() throws {
    var shapes: [String: Int] = [:]
    var withNaN = 0
    for path in try Fixtures.packetPaths() {
      let alert = try XCTUnwrap(AlertReader.read(path: path).first)
      for cutout in [alert.cutoutScience, alert.cutoutTemplate, alert.cutoutDifference] {
        let c = try XCTUnwrap(cutout, path)
        let fits = try c.fitsData()
        XCTAssertEqual(fits.count % 2880, 0, "\(path) \(c.kind)")
        let image = try c.image()
        shapes["\(image.height)x\(image.width)", default: 0] += 1
        XCTAssertEqual(image.header["BITPIX"], "-32")
        XCTAssertEqual(image.header["NAXIS"], "2")
        XCTAssertEqual(image.pixels.count, image.width * image.height)
        if image.pixels.contains(where: \.isNaN) { withNaN += 1 }
        XCTAssertTrue(image.pixels.contains { $0 != 0 && !$0.isNaN }, "\(path) \(c.kind) is blank")
      }
      let triplet = try Triplet.make(alert)
      XCTAssertEqual(triplet.count, 63 * 63 * 3)
      XCTAssertFalse(triplet.contains(where: \.isNaN))
    }
    // All 132 cutouts in this sample are full 63x63 float32 stamps; 12 contain NaN pixels.
    XCTAssertEqual(shapes, ["63x63": 132])
    XCTAssertEqual(withNaN, 12)
  }

  /// One pixel value, read independently with astropy for the first packet's science cutout.
  func testKnownPixelAndOrientation() throws {
    let (path, _) = try Fixtures.packet("1105522281015015000.avro")
    let image = try XCTUnwrap(AlertReader.read(path: path).first?.cutoutScience).image()
    XCTAssertEqual(image.header["BUNIT"], "DN")
    XCTAssertEqual(image.header["SIMPLE"], "T")  // ZTF writes it in a non-standard column
    // astropy: hdu.data[0, 0], hdu.data[0, 1], hdu.data[1, 0], hdu.data[62, 62]
    let expected = try astropyCorners(path)
    guard let expected else { throw XCTSkip("peers' Python not found (set PEERS_VENV or create /work/peers-venv)") }
    XCTAssertEqual(image[0, 0].bitPattern, expected[0].bitPattern)
    XCTAssertEqual(image[0, 1].bitPattern, expected[1].bitPattern)
    XCTAssertEqual(image[1, 0].bitPattern, expected[2].bitPattern)
    XCTAssertEqual(image[62, 62].bitPattern, expected[3].bitPattern)
  }

  private func astropyCorners(_ path: String) throws -> [Float]? {
    guard let python = Fixtures.python else { return nil }
    let script = """
      import sys, io, gzip, fastavro, numpy as np
      from astropy.io import fits
      rec = next(fastavro.reader(open(sys.argv[1], 'rb')))
      d = fits.open(io.BytesIO(gzip.decompress(rec['cutoutScience']['stampData'])))[0].data.astype('>f4')
      print(' '.join(str(int(x)) for x in np.array([d[0,0], d[0,1], d[1,0], d[62,62]], '>f4').view('>u4')))
      """
    let out = try Fixtures.runPython(python, script, arguments: [path])
    return out.split(separator: " ").map { Float(bitPattern: UInt32($0.trimmingCharacters(in: .whitespacesAndNewlines))!) }
  }

  /// All pixels of all 132 cutouts equal astropy's (bit for bit; NaN at the same places), and every triplet
  /// equals a NumPy implementation of braai's rules, for both normalisations.
  func testAgainstAstropyAndNumPy() throws {
    guard let python = Fixtures.python else {
      throw XCTSkip("peers' Python (fastavro, astropy, numpy) not found at \(Fixtures.pythonCandidates); skipping the cross-check")
    }
    let paths = try Fixtures.packetPaths()
    let dir = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = """
      import sys, io, gzip, fastavro, numpy as np
      from astropy.io import fits
      out = sys.argv[1]
      def tf_normalize_rows(x):  # tf.keras.utils.normalize(x) on a 2-D array, in float64
          l2 = np.atleast_1d(np.linalg.norm(x, 2, -1)); l2[l2 == 0] = 1
          return x / np.expand_dims(l2, -1)
      def global_normalize(x):
          n = np.linalg.norm(x); return x / (n if n != 0 else 1)
      for i, path in enumerate(sys.argv[2:]):
          rec = next(fastavro.reader(open(path, 'rb')))
          trip = {'row': [], 'global': []}
          with open(f'{out}/{i}.pixels', 'wb') as f:
              for k in ('cutoutScience', 'cutoutTemplate', 'cutoutDifference'):
                  d = fits.open(io.BytesIO(gzip.decompress(rec[k]['stampData'])))[0].data
                  f.write(np.array(d.shape, '<i4').tobytes()); f.write(d.astype('<f4').tobytes())
                  x = np.array(d, np.float64); x[np.isnan(x)] = 0
                  for mode, fn in (('row', tf_normalize_rows), ('global', global_normalize)):
                      n = fn(x)
                      p = np.full((63, 63), 1e-9); p[:n.shape[0], :n.shape[1]] = n
                      trip[mode].append(p)
          for mode in ('row', 'global'):
              np.stack(trip[mode], -1).astype('<f4').tofile(f'{out}/{i}.{mode}')
      print('ok')
      """
    _ = try Fixtures.runPython(python, script, arguments: [dir.path] + paths)
    var maxRowDiff: Float = 0
    var maxGlobalDiff: Float = 0
    for (i, path) in paths.enumerated() {
      let alert = try XCTUnwrap(AlertReader.read(path: path).first)
      let reference = try Data(contentsOf: dir.appendingPathComponent("\(i).pixels"))
      var offset = 0
      func int32() -> Int {
        defer { offset += 4 }
        return Int(Int32(littleEndian: reference.subdata(in: offset..<(offset + 4)).withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }))
      }
      for cutout in [alert.cutoutScience!, alert.cutoutTemplate!, alert.cutoutDifference!] {
        let image = try cutout.image()
        let height = int32()
        let width = int32()
        XCTAssertEqual([image.height, image.width], [height, width], "\(path) \(cutout.kind)")
        let theirs = floats(reference.subdata(in: offset..<(offset + 4 * width * height)))
        offset += 4 * width * height
        var mismatches = 0
        for (a, b) in zip(image.pixels, theirs) where a.bitPattern != b.bitPattern && !(a.isNaN && b.isNaN) {
          mismatches += 1
        }
        XCTAssertEqual(mismatches, 0, "\(path) \(cutout.kind): pixels differing from astropy")
        XCTAssertEqual(image.pixels.map(\.isNaN), theirs.map(\.isNaN), "\(path) \(cutout.kind): NaN positions")
      }
      for (mode, normalization) in [("row", Triplet.Normalization.row), ("global", .global)] {
        let ours = try Triplet.make(alert, normalization: normalization)
        let theirs = floats(try Data(contentsOf: dir.appendingPathComponent("\(i).\(mode)")))
        XCTAssertEqual(ours.count, theirs.count)
        let diff = zip(ours, theirs).map { abs($0 - $1) }.max() ?? 0
        if mode == "row" { maxRowDiff = max(maxRowDiff, diff) } else { maxGlobalDiff = max(maxGlobalDiff, diff) }
        // Same float64 arithmetic rounded to float32: equal up to summation order (1 ulp of values <= 1).
        XCTAssertLessThanOrEqual(diff, 1.2e-7, "\(path) \(mode)")
        let tpu = Triplet.edgeTPUBytes(ours)
        let tpuRef = Triplet.edgeTPUBytes(theirs)
        XCTAssertLessThanOrEqual(zip(tpu, tpuRef).filter { $0 != $1 }.count, 2, "\(path) \(mode) edge TPU bytes")
      }
    }
    print("ZTFAlerts: max |ours - numpy| over 44 triplets: row \(maxRowDiff), global \(maxGlobalDiff)")
  }

  private func floats(_ data: Data) -> [Float] {
    data.withUnsafeBytes { raw in
      (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
    }
  }
}
