import Foundation
import XCTest
import ZTFAlerts

/// The FITS reader on hand-made files: every BITPIX, scaling, header parsing, and each kind of malformed input.
final class FITSTests: XCTestCase {
  private func cards(bitpix: Int, width: Int, height: Int, extra: [String] = []) -> [String] {
    ["SIMPLE  =                    T", "BITPIX  = \(pad(bitpix))", "NAXIS   =                    2",
      "NAXIS1  = \(pad(width))", "NAXIS2  = \(pad(height))"] + extra
  }

  private func pad(_ v: Int) -> String { String(repeating: " ", count: max(0, 20 - String(v).count)) + String(v) }

  private func bigEndian<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bigEndian) { Array($0) } }
  }

  func testFloat32RowMajorNoFlip() throws {
    let bytes = FITSWriter.float32(width: 3, height: 2, pixels: [1, 2, 3, 4, .nan, -6])
    let image = try FITSImage(data: Data(bytes))
    XCTAssertEqual([image.width, image.height], [3, 2])
    XCTAssertEqual(image[0, 2], 3)  // first row in the file is row 0
    XCTAssertEqual(image[1, 0], 4)
    XCTAssertTrue(image[1, 1].isNaN)
    XCTAssertEqual(image[1, 2], -6)
  }

  func testIntegerTypesAndScaling() throws {
    let u8 = FITSWriter.file(cards: cards(bitpix: 8, width: 2, height: 1), data: [0, 255])
    XCTAssertEqual(try FITSImage(data: Data(u8)).pixels, [0, 255])
    // BITPIX 16 with BZERO 32768 is how FITS stores unsigned 16-bit data.
    let u16 = FITSWriter.file(
      cards: cards(bitpix: 16, width: 3, height: 1, extra: ["BZERO   =                32768", "BSCALE  =                  1.0"]),
      data: bigEndian([Int16.min, 0, Int16.max]))
    XCTAssertEqual(try FITSImage(data: Data(u16)).pixels, [0, 32768, 65535])
    let i32 = FITSWriter.file(
      cards: cards(bitpix: 32, width: 2, height: 1, extra: ["BSCALE  =               0.5D+0", "BZERO   =                 -1.0", "BLANK   =                   -7"]),
      data: bigEndian([Int32(10), Int32(-7)]))
    let scaled = try FITSImage(data: Data(i32))
    XCTAssertEqual(scaled.pixels[0], 4)  // -1 + 0.5 * 10; a FITS "D" exponent is read
    XCTAssertTrue(scaled.pixels[1].isNaN)  // BLANK -> NaN
    let i64 = FITSWriter.file(cards: cards(bitpix: 64, width: 1, height: 1), data: bigEndian([Int64(-123456)]))
    XCTAssertEqual(try FITSImage(data: Data(i64)).pixels, [-123456])
    let f64 = FITSWriter.file(cards: cards(bitpix: -64, width: 2, height: 1), data: bigEndian([Double(2.5).bitPattern, Double(-0.125).bitPattern]))
    XCTAssertEqual(try FITSImage(data: Data(f64)).pixels, [2.5, -0.125])
  }

  func testHeaderValues() throws {
    let bytes = FITSWriter.file(
      cards: cards(bitpix: 8, width: 1, height: 1, extra: [
        "BUNIT   = 'DN      '           / data units", "OBJECT  = 'O''Brien'", "COMMENT this is ignored",
        "EXPTIME =                 30.0 / seconds",
      ]),
      data: [7])
    let image = try FITSImage(data: Data(bytes))
    XCTAssertEqual(image.header["BUNIT"], "DN")
    XCTAssertEqual(image.header["OBJECT"], "O'Brien")
    XCTAssertEqual(image.header["EXPTIME"], "30.0")
    XCTAssertNil(image.header["COMMENT"])
  }

  /// 500 seeded mutations of a real cutout's FITS bytes, mostly in the header: each parses or throws.
  func testFuzzedFITSNeverCrashes() throws {
    let (path, data) = try Fixtures.packet()
    let fits = Array(try XCTUnwrap(AlertReader(data: data, source: path).alerts.first?.cutoutScience).fitsData())
    var rng = SeededRandom(seed: 42)
    let printable = Array(" 0123456789-+.=ENDSIMPLEBITPIXNAXIS'/".utf8)
    var parsed = 0
    for _ in 0..<500 {
      var bytes = fits
      for _ in 0..<Int.random(in: 1...6, using: &rng) {
        let i = Int.random(in: 0..<(Bool.random(using: &rng) ? 480 : bytes.count), using: &rng)
        bytes[i] = Bool.random(using: &rng) ? printable.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
      }
      if Int.random(in: 0..<4, using: &rng) == 0 { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &rng)) }
      do {
        let image = try FITSImage(data: Data(bytes), source: "fuzz.fits")
        XCTAssertEqual(image.pixels.count, image.width * image.height)
        parsed += 1
      } catch let e as AlertError {
        XCTAssertTrue(e.description.hasPrefix("fuzz.fits: FITS: "), e.description)
      }
    }
    XCTAssertGreaterThan(parsed, 0)
  }

  func testMalformedFiles() {
    let good = FITSWriter.float32(width: 4, height: 4, pixels: .init(repeating: 1, count: 16))
    func edited(_ from: String, _ to: String) -> Data {
      var text = good
      let f = Array(from.utf8)
      let t = Array(to.utf8)
      precondition(f.count == t.count)
      let i = (0...(text.count - f.count)).first { Array(text[$0..<($0 + f.count)]) == f }!
      text.replaceSubrange(i..<(i + f.count), with: t)
      return Data(text)
    }
    assertAlertError(["stamp.fits", "unsupported BITPIX 12"]) {
      _ = try FITSImage(data: edited("BITPIX  =                  -32", "BITPIX  =                   12"), source: "/x/stamp.fits")
    }
    assertAlertError(["NAXIS = 3", "only 2-D"]) {
      _ = try FITSImage(data: edited("NAXIS   =                    2", "NAXIS   =                    3"))
    }
    assertAlertError(["data truncated", "64 bytes", "only 10 bytes"]) {
      _ = try FITSImage(data: Data(good.prefix(2880 + 10)))
    }
    assertAlertError(["no END card"]) { _ = try FITSImage(data: edited("END     ", "XND     ").prefix(2880)) }
    // Without END the scan runs into the binary data, which is not header text.
    assertAlertError(["header card 36 contains the non-ASCII byte"]) {
      _ = try FITSImage(data: Data(FITSWriter.float32(width: 4, height: 4, pixels: .init(repeating: 2, count: 16))).replacing("END     ", with: "XND     "))
    }
    assertAlertError(["not a FITS file"]) { _ = try FITSImage(data: edited("SIMPLE", "SIMPLX")) }
    assertAlertError(["shorter than one 2880-byte header block"]) { _ = try FITSImage(data: Data(good.prefix(100))) }
    assertAlertError(["absurd image size"]) {
      _ = try FITSImage(data: edited("NAXIS1  =                    4", "NAXIS1  =           9999999999"))
    }
    assertAlertError(["NAXIS1 = 'x4' is not an integer"]) {
      _ = try FITSImage(data: edited("NAXIS1  =                    4", "NAXIS1  =                   x4"))
    }
    assertAlertError(["missing BITPIX"]) { _ = try FITSImage(data: edited("BITPIX", "BITPIY")) }
    assertAlertError(["non-ASCII"]) { _ = try FITSImage(data: edited("NAXIS2", "NAXIS\u{7f}")) }
    assertAlertError(["BSCALE = 'abc' is not a number"]) {
      _ = try FITSImage(data: Data(FITSWriter.file(cards: cards(bitpix: 8, width: 1, height: 1, extra: ["BSCALE  =                  abc"]), data: [1])))
    }
  }
}

extension Data {
  /// The first occurrence of `from` (ASCII) replaced by `to` (same length).
  fileprivate func replacing(_ from: String, with to: String) -> Data {
    var b = Array(self)
    let f = Array(from.utf8)
    let i = (0...(b.count - f.count)).first { Array(b[$0..<($0 + f.count)]) == f }!
    b.replaceSubrange(i..<(i + f.count), with: Array(to.utf8))
    return Data(b)
  }
}
