import AstroPlot
import XCTest

final class GrayscaleImageTests: XCTestCase {
  func testLinearStretchMapsValuesToGrayLevels() throws {
    let image = try GrayscaleImage(width: 2, height: 2, pixels: [0, 1, 2, 3])
    var canvas = try RasterImage(width: 6, height: 6)
    let drawn = try canvas.drawGrayscale(image, x: 1, y: 1, scale: 2, stretch: .linear(low: 0, high: 3))
    XCTAssertEqual(drawn, PixelRect(x: 1, y: 1, width: 4, height: 4))
    // 0, 1/3, 2/3, 1 of 255: 0, 85, 170, 255; each value a 2x2 block.
    XCTAssertEqual(canvas.pixel(x: 1, y: 1), .black)
    XCTAssertEqual(canvas.pixel(x: 2, y: 2), .black)
    XCTAssertEqual(canvas.pixel(x: 3, y: 1), PlotColor(red: 85, green: 85, blue: 85))
    XCTAssertEqual(canvas.pixel(x: 1, y: 3), PlotColor(red: 170, green: 170, blue: 170))
    XCTAssertEqual(canvas.pixel(x: 4, y: 4), .white)
    XCTAssertEqual(canvas.pixel(x: 0, y: 0), .white, "outside the image")
  }

  func testFlipAndMissingPixels() throws {
    let image = try GrayscaleImage(width: 1, height: 2, pixels: [.nan, 1])
    var canvas = try RasterImage(width: 1, height: 2)
    try canvas.drawGrayscale(image, x: 0, y: 0, stretch: .linear(low: 0, high: 1), flipVertically: true,
                             missingColor: PlotColor(hex: 0x00ff00))
    XCTAssertEqual(canvas.pixel(x: 0, y: 0), .white, "last row drawn first")
    XCTAssertEqual(canvas.pixel(x: 0, y: 1), PlotColor(hex: 0x00ff00))
  }

  func testPercentileAndMinMaxLimits() throws {
    let ramp = (0...100).map(Float.init)
    let (low, high) = try ImageStretch.percentile(lower: 1, upper: 99).limits(for: ramp)
    XCTAssertEqual(low, 1)
    XCTAssertEqual(high, 99)
    // Ten values: the 25th percentile sits at position 2.25 between order statistics 2 and 3.
    let ten = (0..<10).map(Float.init).shuffled()
    XCTAssertEqual(try ImageStretch.percentile(lower: 25, upper: 100).limits(for: ten).low, 2.25, accuracy: 1e-6)
    let withNaN: [Float] = [3, .nan, -2, .infinity, 7]
    let minMax = try ImageStretch.minMax.limits(for: withNaN)
    XCTAssertEqual(minMax.low, -2)
    XCTAssertEqual(minMax.high, 7)
  }

  func testFlatAndEmptyImagesGetAUnitWindow() throws {
    let flat = try ImageStretch.zscale.limits(for: [Float](repeating: 5, count: 100))
    XCTAssertEqual(flat.low, 4.5)
    XCTAssertEqual(flat.high, 5.5)
    let empty = try ImageStretch.minMax.limits(for: [.nan, .nan])
    XCTAssertLessThan(empty.low, empty.high)
  }

  func testZScaleOnARampFollowsAstropyFormula() throws {
    // 1000 samples of an exact line (slope 1): median 499.5, centre index 499.
    let ramp = (0..<1000).map(Float.init)
    // contrast 1: low = 499.5 - (499 - 1) * 1 = 1.5, high = min(999, 499.5 + 501) = 999.
    let unit = try ImageStretch.zscale(contrast: 1).limits(for: ramp)
    XCTAssertEqual(unit.low, 1.5, accuracy: 1e-4)
    XCTAssertEqual(unit.high, 999, accuracy: 1e-4)
    // contrast 0.25: slope 4, both limits clipped to the data range.
    let standard = try ImageStretch.zscale.limits(for: ramp)
    XCTAssertEqual(standard.low, 0)
    XCTAssertEqual(standard.high, 999)
  }

  func testZScaleClipsAHotPixel() throws {
    // A flat sky with mild structure and one very bright pixel: zscale must not let it set the upper limit.
    var sky = (0..<(63 * 63)).map { Float(100 + ($0 * 37) % 11) }
    sky[2000] = 1e6
    let (low, high) = try ImageStretch.zscale.limits(for: sky)
    XCTAssertGreaterThanOrEqual(low, 100)
    XCTAssertLessThan(high, 200)
  }

  func testInvalidStretchesThrow() {
    XCTAssertThrowsError(try ImageStretch.linear(low: 2, high: 1).limits(for: [1]))
    XCTAssertThrowsError(try ImageStretch.linear(low: .nan, high: 1).limits(for: [1]))
    XCTAssertThrowsError(try ImageStretch.percentile(lower: 50, upper: 10).limits(for: [1]))
    XCTAssertThrowsError(try ImageStretch.percentile(lower: -1, upper: 10).limits(for: [1]))
    XCTAssertThrowsError(try ImageStretch.zscale(contrast: 0).limits(for: [1]))
  }

  func testSplittingHWCTriplets() throws {
    // Height 1, width 2, three channels interleaved per pixel.
    let channels = try GrayscaleImage.channels(ofHWC: [1, 2, 3, 4, 5, 6], width: 2, height: 1, channels: 3)
    XCTAssertEqual(channels.map(\.pixels), [[1, 4], [2, 5], [3, 6]])
    XCTAssertThrowsError(try GrayscaleImage.channels(ofHWC: [1, 2, 3], width: 2, height: 1, channels: 3))
    XCTAssertThrowsError(try GrayscaleImage.channels(ofHWC: [], width: 0, height: 1, channels: 3))
    XCTAssertThrowsError(try GrayscaleImage(width: 2, height: 2, pixels: [1, 2, 3]))
  }
}
