import Foundation
import XCTest
import ZTFAlerts

/// braai's preprocessing rules on hand-made images with hand-computed answers.
final class TripletTests: XCTestCase {
  /// 3x3:  row 0 = 3 4 0 (norm 5), row 1 = 0 0 0, row 2 = NaN 0 12 (NaN -> 0, norm 12); whole image norm 13.
  let image = FITSImage(width: 3, height: 3, pixels: [3, 4, 0, 0, 0, 0, .nan, 0, 12])

  func testRowNormalisation() {
    XCTAssertEqual(Triplet.normalized(image, normalization: .row), [0.6, 0.8, 0, 0, 0, 0, 0, 0, 1])
  }

  func testGlobalNormalisation() {
    XCTAssertEqual(
      Triplet.normalized(image, normalization: .global),
      [Float(3.0 / 13), Float(4.0 / 13), 0, 0, 0, 0, 0, 0, Float(12.0 / 13)])
  }

  func testAllZeroAndAllNaNStayZero() {
    let blank = FITSImage(width: 2, height: 2, pixels: [0, .nan, .nan, 0])
    XCTAssertEqual(Triplet.normalized(blank, normalization: .row), [0, 0, 0, 0])
    XCTAssertEqual(Triplet.normalized(blank, normalization: .global), [0, 0, 0, 0])
  }

  /// An image without pixels normalises to nothing (the vector loops are never handed an empty buffer).
  func testEmptyImage() {
    let empty = FITSImage(width: 0, height: 0, pixels: [])
    XCTAssertEqual(Triplet.normalized(empty, normalization: .global), [])
    XCTAssertEqual(Triplet.normalized(empty, normalization: .row), [])
  }

  /// Norms are accumulated in Double: values whose squares overflow Float still normalise.
  func testNormInDouble() {
    let big = FITSImage(width: 2, height: 1, pixels: [3e20, 4e20])
    XCTAssertEqual(Triplet.normalized(big, normalization: .row), [0.6, 0.8])
  }

  /// An infinite pixel fails its own alert with an error naming the cutout and pixel (it used to become a NaN row
  /// that failed the whole scoring batch).
  func testAnInfinitePixelIsThisAlertsError() {
    let bad = FITSImage(width: 3, height: 3, pixels: [3, 4, 0, 0, .infinity, 0, .nan, 0, 12])
    XCTAssertThrowsError(try Triplet.make(science: image, template: bad, difference: image, source: "x.avro")) { error in
      XCTAssertEqual("\(error)", "x.avro: cutoutTemplate pixel (row 1, column 1) is inf")
    }
    XCTAssertNoThrow(try Triplet.make(science: image, template: image, difference: image), "NaN pixels are masked")
  }

  /// HWC layout, channel order, orientation (FITS row r -> triplet row r, no flip) and 1e-9 padding.
  func testLayoutAndPadding() throws {
    // 60 rows x 63 columns (a cutout clipped at a CCD edge), value r * 1000 + c + 1 per channel offset.
    func ramp(_ offset: Float, height: Int, width: Int) -> FITSImage {
      var pixels: [Float] = []
      for r in 0..<height { for c in 0..<width { pixels.append(Float(r * 1000 + c + 1) + offset) } }
      return FITSImage(width: width, height: height, pixels: pixels)
    }
    for (height, width) in [(60, 63), (63, 60), (1, 1)] {
      let sci = ramp(0, height: height, width: width)
      let tmpl = ramp(0.5, height: height, width: width)
      let diff = ramp(0.25, height: height, width: width)
      let t = try Triplet.make(science: sci, template: tmpl, difference: diff, normalization: .global)
      XCTAssertEqual(t.count, 63 * 63 * 3)
      let norms = [sci, tmpl, diff].map { img in img.pixels.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
      for r in 0..<63 {
        for c in 0..<63 {
          for (ch, img) in [sci, tmpl, diff].enumerated() {
            let v = t[(r * 63 + c) * 3 + ch]
            if r < height && c < width {
              XCTAssertEqual(v, Float(Double(img[r, c]) / norms[ch]), "(\(r), \(c), \(ch))")
            } else {
              XCTAssertEqual(v, 1e-9, "padding at (\(r), \(c), \(ch)) for \(height)x\(width)")
            }
          }
        }
      }
    }
  }

  func testRowNormalisationInTriplet() throws {
    let t = try Triplet.make(science: image, template: image, difference: image, normalization: .row)
    for ch in 0..<3 {
      XCTAssertEqual(t[(0 * 63 + 1) * 3 + ch], 0.8)
      XCTAssertEqual(t[(1 * 63 + 1) * 3 + ch], 0)
      XCTAssertEqual(t[(2 * 63 + 0) * 3 + ch], 0)  // was NaN
      XCTAssertEqual(t[(2 * 63 + 2) * 3 + ch], 1)
      XCTAssertEqual(t[(2 * 63 + 3) * 3 + ch], 1e-9)
      XCTAssertEqual(t[(3 * 63 + 0) * 3 + ch], 1e-9)
    }
  }

  func testShapeErrors() {
    let ok = FITSImage(width: 63, height: 63, pixels: .init(repeating: 1, count: 63 * 63))
    let wide = FITSImage(width: 64, height: 63, pixels: .init(repeating: 1, count: 64 * 63))
    let small = FITSImage(width: 63, height: 60, pixels: .init(repeating: 1, count: 63 * 60))
    let empty = FITSImage(width: 0, height: 63, pixels: [])
    assertAlertError(["x.avro", "cutoutTemplate", "63 rows x 64 columns", "larger than 63x63"]) {
      _ = try Triplet.make(science: ok, template: wide, difference: ok, source: "/a/x.avro")
    }
    assertAlertError(["cutoutDifference", "empty", "63 rows x 0 columns"]) {
      _ = try Triplet.make(science: ok, template: ok, difference: empty)
    }
    assertAlertError(["different shapes", "cutoutScience 63x63", "cutoutTemplate 60x63"]) {
      _ = try Triplet.make(science: ok, template: small, difference: ok)
    }
    // A larger target size accepts the 64-wide cutout.
    XCTAssertNoThrow(try Triplet.make(science: wide, template: wide, difference: wide, size: 64))
  }

  func testNormalizationNames() {
    XCTAssertEqual(TripletNormalization(rawValue: "row"), .row)
    XCTAssertEqual(TripletNormalization(rawValue: "global"), Triplet.Normalization.global)
    XCTAssertEqual(TripletNormalization.allCases.map(\.rawValue), ["row", "global"])
  }

  func testEdgeTPUBytes() {
    let x: [Float] = [0, 0.5, -1, 1, 2, -2, 0.5 / 128, 1.5 / 128, -0.5 / 128, 127.0 / 128, 1e-9, .nan]
    // rint: 128.5 -> 128 and 127.5 -> 128 (half to even), 129.5 -> 130; 256 clamps to 255.
    XCTAssertEqual(Triplet.edgeTPUBytes(x), [128, 192, 0, 255, 255, 0, 128, 130, 128, 255, 128, 128])
  }

  /// A real packet whose science cutout is replaced by a 60-row one: read, normalised and padded end to end.
  func testSmallCutoutInsidePacket() throws {
    let (path, data) = try Fixtures.packet()
    let container = try AvroContainer(data: data, source: path)
    let alert = try XCTUnwrap(AlertReader(data: data, source: path).alerts.first)
    // Crop each real cutout to its first 60 rows (as at a CCD edge) and put it back gzip-compressed.
    var record = try XCTUnwrap(container.records.first?.recordValue)
    var crops: [FITSImage] = []
    for kind in Cutout.Kind.allCases {
      let cutout = [Cutout.Kind.science: alert.cutoutScience, .template: alert.cutoutTemplate, .difference: alert.cutoutDifference][kind]!
      let full = try XCTUnwrap(cutout).image()
      let crop = FITSImage(width: 63, height: 60, pixels: Array(full.pixels.prefix(60 * 63)))
      crops.append(crop)
      let gz = Compression.deflate(FITSWriter.float32(width: 63, height: 60, pixels: crop.pixels), gzip: true)
      record = replacingStamp(in: record, kind: kind, with: Data(gz))
    }
    let json = String(decoding: container.metadata["avro.schema"]!, as: UTF8.self)
    let packet = AvroWriter.container(schemaJSON: json, schema: container.schema, records: [.record(record)])
    let edited = try XCTUnwrap(AlertReader(data: packet, source: "cropped.avro").alerts.first)
    let science = try XCTUnwrap(edited.cutoutScience).image()
    XCTAssertEqual([science.height, science.width], [60, 63])
    XCTAssertTrue(science.pixels.elementsEqual(crops[0].pixels) { $0.bitPattern == $1.bitPattern })
    let t = try Triplet.make(edited)
    let expected = try Triplet.make(science: crops[0], template: crops[1], difference: crops[2])
    XCTAssertTrue(t == expected, "triplet of the re-encoded packet differs from the triplet of the crops")
    XCTAssertEqual(t[(59 * 63 + 62) * 3 + 2], Triplet.normalized(crops[2], normalization: .row)[59 * 63 + 62])
    XCTAssertTrue((60 * 63 * 3..<(63 * 63 * 3)).allSatisfy { t[$0] == 1e-9 })
    // Untouched rows are the same as in the full-size triplet (row normalisation is per row).
    let full = try Triplet.make(alert)
    XCTAssertTrue(t.prefix(60 * 63 * 3).elementsEqual(full.prefix(60 * 63 * 3)), "cropped rows changed")
  }
}

/// `record` with the stampData of cutout `kind` replaced.
func replacingStamp(in record: AvroRecord, kind: Cutout.Kind, with stamp: Data) -> AvroRecord {
  var values = record.values
  let i = record.layout.index[kind.rawValue]!
  let cutout = values[i].recordValue!
  var cutoutValues = cutout.values
  cutoutValues[cutout.layout.index["stampData"]!] = .bytes(stamp)
  values[i] = .record(AvroRecord(layout: cutout.layout, values: cutoutValues))
  return AvroRecord(layout: record.layout, values: values)
}
