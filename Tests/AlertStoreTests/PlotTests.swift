import AlertStore
import AstroPlot
import Foundation
import XCTest
import ZTFAlerts

final class PlotTests: StoreTestCase {
  /// Counts pixels of exactly `color` in an RGB image.
  private func count(_ color: PlotColor, in image: RasterImage) -> Int {
    var n = 0
    for y in 0..<image.height {
      for x in 0..<image.width where image.pixel(x: x, y: y) == color { n += 1 }
    }
    return n
  }

  func testLightCurvePlotHasDetectionsAndLimitsPerFilter() throws {
    let (store, _) = try realStore()
    let points = try store.lightCurve(objectId: "ZTF20aajcdad")
    let plot = LightCurvePlot(objectId: "ZTF20aajcdad", points: points)
    XCTAssertEqual(plot.jdOffset, 2_458_000)
    let chart = try plot.chart()
    XCTAssertEqual(chart.series.compactMap(\.name), ["g", "g upper limit", "r", "r upper limit"])
    XCTAssertEqual(chart.series[0].x.count, points.filter { $0.fid == 1 && $0.isDetection }.count)
    XCTAssertEqual(chart.series[0].yErrors?.count, chart.series[0].x.count)
    XCTAssertEqual(chart.series[1].y, points.filter { $0.fid == 1 && !$0.isDetection }.map { $0.diffmaglim! })
    XCTAssertTrue(chart.yAxis.inverted, "bright magnitudes at the top")

    let path = try StoreFixtures.temporaryFolder(for: self) + "/lc.png"
    try plot.writePNG(to: path)
    let image = try RasterImage(pngFile: path)
    XCTAssertEqual(image.width, 900)
    XCTAssertEqual(image.height, 560)
    XCTAssertGreaterThan(count(.ztfFilter(fid: 1), in: image), 50, "g detections drawn in green")
    XCTAssertGreaterThan(count(.ztfFilter(fid: 2), in: image), 50, "r detections drawn in red")

    XCTAssertThrowsError(try LightCurvePlot(objectId: "X", points: []).render()) {
      XCTAssertTrue("\($0)".contains("no detections or upper limits"), "\($0)")
    }
  }

  func testCutoutTripletShowsTheThreeStampsSideBySide() throws {
    let (store, _) = try realStore()
    let candid: Int64 = 1_127_495_406_315_015_005
    let triplet = CutoutTripletImage(cutouts: try XCTUnwrap(try store.cutouts(candid: candid)))
    let images = try triplet.images()
    let alert = try AlertReader.read(path: try StoreFixtures.realPacketFiles()[3])[0]
    XCTAssertEqual(alert.candid, candid)
    XCTAssertEqual(images[0].pixels.count, try alert.cutoutScience!.image().pixels.count)
    XCTAssertEqual(images[2].pixels.map { $0.isNaN ? 0 : $0 }, try alert.cutoutDifference!.image().pixels.map { $0.isNaN ? 0 : $0 })

    let path = try StoreFixtures.temporaryFolder(for: self) + "/triplet.png"
    try triplet.writePNG(to: path)
    let image = try RasterImage(pngFile: path)
    XCTAssertGreaterThanOrEqual(image.width, 3 * images[0].width * triplet.pixelScale, "three panels side by side")
    XCTAssertLessThan(image.width, 3 * images[0].width * triplet.pixelScale + 200)
    var grays = Set<UInt8>()
    for y in stride(from: 0, to: image.height, by: 2) {
      for x in stride(from: 0, to: image.width, by: 2) {
        if let p = image.pixel(x: x, y: y), p.red == p.green, p.green == p.blue { grays.insert(p.red) }
      }
    }
    XCTAssertGreaterThan(grays.count, 100, "stretched image data, not a blank canvas")

    var missing = try XCTUnwrap(try store.cutouts(candid: candid))
    missing.template = nil
    XCTAssertThrowsError(try CutoutTripletImage(cutouts: missing).render()) {
      XCTAssertTrue("\($0)".contains("no cutoutTemplate stored"), "\($0)")
    }
  }

  func testCommandLineWritesBothPNGs() throws {
    let folder = try StoreFixtures.temporaryFolder(for: self)
    let ingest = try AlertsBinary.run(["ingest", try StoreFixtures.realPacketFolder(), "--quiet"], in: folder)
    XCTAssertEqual(ingest.status, 0, ingest.stderr)
    let lc = try AlertsBinary.run(["lightcurve", "ZTF20aajcdad", "--png", "lc.png", "--format", "csv"], in: folder)
    XCTAssertEqual(lc.status, 0, lc.stderr)
    XCTAssertTrue(lc.stdout.hasPrefix("jd,fid,filter,kind,"), lc.stdout)
    XCTAssertEqual(try RasterImage(pngFile: folder + "/lc.png").width, 900)
    let cut = try AlertsBinary.run(["cutout", "1127495406315015005", "--png", "triplet.png"], in: folder)
    XCTAssertEqual(cut.status, 0, cut.stderr)
    XCTAssertGreaterThan(try RasterImage(pngFile: folder + "/triplet.png").width, 3 * 63)
    let none = try AlertsBinary.run(["cutout", "1127495406315015005"], in: folder)
    XCTAssertNotEqual(none.status, 0)
    XCTAssertTrue(none.stderr.contains("--png"), none.stderr)
  }
}
