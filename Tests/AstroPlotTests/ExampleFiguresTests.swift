import AstroPlot
import Foundation
import XCTest

/// Renders the figures the alert store needs (a light curve, a cutout strip) and a log-scale rate plot into
/// `$TMPDIR/astroplot-examples` for people to look at, and checks that they read back at their size.
final class ExampleFiguresTests: XCTestCase {
  private func checkWritten(_ image: RasterImage, _ name: String) throws {
    let path = try examplesFolder() + "/" + name
    try image.writePNG(to: path)
    let back = try RasterImage(pngFile: path)
    XCTAssertEqual(back.pixels, image.pixels, name)
  }

  func testLightCurveWithErrorBarsAndUpperLimits() throws {
    let jd = (0..<15).map { 2458000.5 + Double($0) * 2.1 }
    let g = jd.indices.map { 18 + 0.8 * sin(Double($0) / 3) }
    let errors = jd.indices.map { 0.05 + 0.02 * Double($0 % 3) }
    var chart = Chart(
      title: "ZTF18abcdefg", xAxis: Axis(label: "JD"), yAxis: Axis(label: "magnitude", inverted: true))
    chart.series.append(.scatter("g", x: jd, y: g, color: .ztfFilter(fid: 1), yErrors: errors))
    chart.series.append(
      .scatter("r", x: jd.map { $0 + 0.5 }, y: g.map { $0 - 0.3 }, marker: .square, color: .ztfFilter(fid: 2), yErrors: errors))
    chart.series.append(
      .scatter("g upper limit", x: [2458031.0, 2458033.2], y: [19.8, 20.1], marker: .triangleDown, color: .ztfFilter(fid: 1)))
    let image = try chart.render(width: 800, height: 500)
    let layout = try chart.layout(in: image.bounds)
    // Inverted: the brightest g point (smallest magnitude) is the highest one drawn.
    let brightest = g.indices.min { g[$0] < g[$1] }!
    let faintest = g.indices.max { g[$0] < g[$1] }!
    XCTAssertLessThan(try XCTUnwrap(layout.pixelY(g[brightest])), try XCTUnwrap(layout.pixelY(g[faintest])))
    let p = try XCTUnwrap(layout.point(x: jd[0], y: g[0]))
    XCTAssertTrue(close(image.pixel(x: Int(p.x), y: Int(p.y)), .ztfFilter(fid: 1), tolerance: 10))
    try checkWritten(image, "lightcurve.png")
  }

  func testCutoutStripAndLogRatePlot() throws {
    let size = 63
    var hwc = [Float](repeating: 0, count: size * size * 3)
    for y in 0..<size {
      for x in 0..<size {
        let r2 = Float((x - 31) * (x - 31) + (y - 31) * (y - 31))
        hwc[(y * size + x) * 3] = 100 + 500 * exp(-r2 / 8) + Float((x * 7 + y * 13) % 11)
        hwc[(y * size + x) * 3 + 1] = 100 + 300 * exp(-r2 / 10) + Float((x * 3 + y * 5) % 7)
        hwc[(y * size + x) * 3 + 2] = Float(x - 31) + 200 * exp(-r2 / 8)
      }
    }
    let channels = try GrayscaleImage.channels(ofHWC: hwc, width: size, height: size, channels: 3)
    let strip = try ImageGrid.strip(channels, titles: ["Science", "Reference", "Difference"]).render()
    try checkWritten(strip, "cutouts.png")

    let thresholds = (0...100).map { Double($0) / 100 }
    let chart = Chart(
      title: "FNR and FPR vs threshold", xAxis: Axis(label: "threshold", range: 0...1),
      yAxis: Axis(label: "rate", scale: .log10),
      series: [
        .line("FNR", x: thresholds, y: thresholds.map { pow($0, 3) * 0.9 + 1e-4 }),
        .line("FPR", x: thresholds, y: thresholds.map { pow(1 - $0, 4) * 0.8 + 2e-4 }, dashPattern: [10, 5]),
      ],
      referenceLines: [ReferenceLine(.vertical, at: 0.5, name: "threshold 0.5")])
    let image = try chart.render(width: 800, height: 600)
    XCTAssertEqual(try chart.layout(in: image.bounds).yTicks.map(\.label), ["0.0001", "0.001", "0.01", "0.1", "1"])
    try checkWritten(image, "rates-log.png")
  }
}
