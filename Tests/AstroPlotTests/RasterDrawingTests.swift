import AstroPlot
import XCTest

final class RasterDrawingTests: XCTestCase {
  private func canvas(_ w: Int = 40, _ h: Int = 40) throws -> RasterImage { try RasterImage(width: w, height: h) }

  func testSetPixelAndBlendArithmetic() throws {
    var image = try canvas(4, 4)
    image.setPixel(x: 1, y: 2, color: PlotColor(red: 1, green: 2, blue: 3))
    XCTAssertEqual(image.pixel(x: 1, y: 2), PlotColor(red: 1, green: 2, blue: 3))
    // Black at half coverage over white: 255 + (0 - 255) * 0.5 = 127.5, rounded to 128.
    image.blendPixel(x: 0, y: 0, color: .black, coverage: 0.5)
    XCTAssertEqual(image.pixel(x: 0, y: 0), PlotColor(red: 128, green: 128, blue: 128))
    // Out-of-bounds writes are ignored, reads are nil.
    image.setPixel(x: -1, y: 0, color: .black)
    image.setPixel(x: 4, y: 0, color: .black)
    XCTAssertNil(image.pixel(x: 4, y: 0))
  }

  func testFillRectIsClippedToCanvasAndClipRect() throws {
    var image = try canvas(5, 5)
    image.fillRect(PixelRect(x: -2, y: -2, width: 4, height: 4), color: .black)
    XCTAssertEqual(image.inkPixels(in: image.bounds), 4)  // only (0,0), (1,0), (0,1), (1,1)
    XCTAssertEqual(image.pixel(x: 1, y: 1), .black)
    XCTAssertEqual(image.pixel(x: 2, y: 1), .white)

    var clipped = try canvas(10, 10)
    clipped.clip = PixelRect(x: 3, y: 4, width: 2, height: 3)
    clipped.fillRect(clipped.bounds, color: .black)
    XCTAssertEqual(clipped.inkPixels(in: clipped.bounds), 6)
    XCTAssertEqual(clipped.pixel(x: 3, y: 4), .black)
    XCTAssertEqual(clipped.pixel(x: 5, y: 4), .white)
  }

  func testBresenhamLinePixelsMatchHandTrace() throws {
    var image = try canvas(10, 10)
    image.drawLine(from: PixelPoint(x: 0.5, y: 0.5), to: PixelPoint(x: 4.5, y: 2.5), color: .black, antialiased: false)
    // Bresenham from (0,0) to (4,2): one pixel per column, each within half a pixel of y = x/2.
    let expected: Set<[Int]> = [[0, 0], [1, 1], [2, 1], [3, 2], [4, 2]]
    var painted = Set<[Int]>()
    for y in 0..<10 { for x in 0..<10 where image.pixel(x: x, y: y) == .black { painted.insert([x, y]) } }
    XCTAssertEqual(painted, expected)
    XCTAssertEqual(image.inkPixels(in: image.bounds), 5)
  }

  func testAntialiasedHorizontalLineCoversExactlyItsRow() throws {
    var image = try canvas(20, 10)
    image.drawLine(from: PixelPoint(x: 2, y: 5.5), to: PixelPoint(x: 12, y: 5.5), color: .black, width: 1)
    for x in 2...11 { XCTAssertEqual(image.pixel(x: x, y: 5), .black, "column \(x)") }
    // Round caps: the pixels whose centres lie half a pixel beyond the ends get half coverage.
    XCTAssertEqual(image.pixel(x: 1, y: 5), PlotColor(red: 128, green: 128, blue: 128))
    XCTAssertEqual(image.pixel(x: 12, y: 5), PlotColor(red: 128, green: 128, blue: 128))
    XCTAssertEqual(image.inkPixels(in: PixelRect(x: 0, y: 0, width: 20, height: 5), tolerance: 0), 0)
    XCTAssertEqual(image.inkPixels(in: PixelRect(x: 0, y: 6, width: 20, height: 4), tolerance: 0), 0)
  }

  func testWideLineCoversItsWidth() throws {
    var image = try canvas(20, 30)
    image.drawLine(from: PixelPoint(x: 10.5, y: 2), to: PixelPoint(x: 10.5, y: 20), color: .black, width: 3)
    for x in 9...11 { XCTAssertEqual(image.pixel(x: x, y: 10), .black) }
    XCTAssertEqual(image.pixel(x: 8, y: 10), .white)
    XCTAssertEqual(image.pixel(x: 12, y: 10), .white)
  }

  func testDashedLineHasGaps() throws {
    var image = try canvas(45, 10)
    image.drawPolyline([PixelPoint(x: 0, y: 5.5), PixelPoint(x: 40, y: 5.5)], color: .black, dashPattern: [5, 5])
    // Dashes cover [0,5], [10,15], [20,25], [30,35].
    for x in [2, 12, 22, 32] { XCTAssertEqual(image.pixel(x: x, y: 5), .black, "dash at \(x)") }
    for x in [7, 17, 27, 37] { XCTAssertEqual(image.pixel(x: x, y: 5), .white, "gap at \(x)") }
  }

  func testLineToFarAwayPointDoesNotHangOrCrash() throws {
    var image = try canvas(30, 30)
    image.drawPolyline(
      [PixelPoint(x: 15, y: 15), PixelPoint(x: 1e12, y: -1e15)], color: .black, width: 2, dashPattern: [3, 3])
    image.drawLine(from: PixelPoint(x: 15, y: 15), to: PixelPoint(x: .nan, y: 3), color: .black)
    image.drawLine(from: PixelPoint(x: 0, y: 0), to: PixelPoint(x: 1e300, y: 1e300), color: .black, antialiased: false)
    XCTAssertGreaterThan(image.inkPixels(in: image.bounds), 0)
  }

  func testPolygonFillIsExactOnPixelGridAndFractionalOffIt() throws {
    var image = try canvas(10, 10)
    image.fillPolygon(
      [PixelPoint(x: 2, y: 2), PixelPoint(x: 6, y: 2), PixelPoint(x: 6, y: 6), PixelPoint(x: 2, y: 6)], color: .black)
    XCTAssertEqual(image.inkPixels(in: image.bounds, tolerance: 0), 16)
    XCTAssertEqual(image.pixel(x: 2, y: 2), .black)
    XCTAssertEqual(image.pixel(x: 5, y: 5), .black)
    XCTAssertEqual(image.pixel(x: 6, y: 5), .white)

    var half = try canvas(10, 10)
    half.fillPolygon(
      [PixelPoint(x: 2.5, y: 2.5), PixelPoint(x: 4.5, y: 2.5), PixelPoint(x: 4.5, y: 4.5), PixelPoint(x: 2.5, y: 4.5)],
      color: .black)
    // Corner pixel (2,2): half its width times half its sub-scanlines = 1/4 covered: 255 * 3/4 = 191.25.
    XCTAssertEqual(half.pixel(x: 2, y: 2), PlotColor(red: 191, green: 191, blue: 191))
    // Edge pixel (3,2): full width, half height: 127.5 -> 128.
    XCTAssertEqual(half.pixel(x: 3, y: 2), PlotColor(red: 128, green: 128, blue: 128))
    XCTAssertEqual(half.pixel(x: 3, y: 3), .black)
  }

  func testFilledCircleAreaMatchesPiRSquared() throws {
    var image = try canvas(21, 21)
    image.fillCircle(center: PixelPoint(x: 10.5, y: 10.5), radius: 5, color: .black)
    XCTAssertEqual(image.pixel(x: 10, y: 10), .black)
    XCTAssertEqual(image.pixel(x: 16, y: 10), .white)
    var covered = 0.0
    for y in 0..<21 { for x in 0..<21 { covered += Double(255 - Int(image.pixel(x: x, y: y)!.red)) / 255 } }
    XCTAssertEqual(covered, Double.pi * 25, accuracy: 1.5)
  }

  func testTriangleMarkersPointTheRightWay() throws {
    var down = try canvas(), up = try canvas()
    down.drawMarker(.triangleDown, at: PixelPoint(x: 20, y: 20), size: 20, color: .black)
    up.drawMarker(.triangleUp, at: PixelPoint(x: 20, y: 20), size: 20, color: .black)
    // Down: wide at the top (y = 12), apex at the bottom (y = 30); up is the mirror image.
    XCTAssertEqual(down.pixel(x: 12, y: 13), .black)
    XCTAssertEqual(up.pixel(x: 12, y: 13), .white)
    XCTAssertEqual(up.pixel(x: 12, y: 26), .black)
    XCTAssertEqual(down.pixel(x: 12, y: 26), .white)
    for shape in MarkerShape.allCases {
      var image = try canvas()
      image.drawMarker(shape, at: PixelPoint(x: 20, y: 20), size: 12, color: .black, edgeColor: .ink)
      XCTAssertGreaterThan(image.inkPixels(in: PixelRect(x: 13, y: 13, width: 14, height: 14)), 10, "\(shape)")
      XCTAssertEqual(image.inkPixels(in: PixelRect(x: 0, y: 0, width: 40, height: 12)), 0, "\(shape)")
    }
  }

  func testStrokeRectStaysInsideTheRectangle() throws {
    var image = try canvas(10, 10)
    image.strokeRect(PixelRect(x: 2, y: 2, width: 5, height: 4), color: .black, lineWidth: 1)
    // Perimeter of a 5x4 box: 2*5 + 2*(4-2) = 14 pixels.
    XCTAssertEqual(image.inkPixels(in: image.bounds), 14)
    XCTAssertEqual(image.inkPixels(in: PixelRect(x: 3, y: 3, width: 3, height: 2)), 0)
  }

  func testDrawingOneImageOntoAnother() throws {
    var big = try canvas(6, 6)
    let small = try RasterImage(width: 2, height: 2, background: .black)
    big.draw(small, atX: 5, y: 5)
    XCTAssertEqual(big.inkPixels(in: big.bounds), 1)
    XCTAssertEqual(big.pixel(x: 5, y: 5), .black)
  }

  func testColormapEndpointsAndMidpoint() {
    XCTAssertEqual(Colormap.gray.color(at: 0), .black)
    XCTAssertEqual(Colormap.gray.color(at: 1), .white)
    XCTAssertEqual(Colormap.gray.color(at: 0.5), PlotColor(red: 128, green: 128, blue: 128))
    XCTAssertEqual(Colormap.grayInverted.color(at: 0), .white)
    XCTAssertEqual(Colormap.viridis.color(at: 0), PlotColor(hex: 0x440154))
    XCTAssertEqual(Colormap.viridis.color(at: 0.5), PlotColor(hex: 0x21918c))
    XCTAssertEqual(Colormap.viridis.color(at: 1), PlotColor(hex: 0xfde725))
    XCTAssertEqual(Colormap.viridis.color(at: 7), PlotColor(hex: 0xfde725), "clamped")
    // Halfway between the first two anchors #440154 and #482475: (70, 18.5, 100.5).
    XCTAssertTrue(close(Colormap.viridis.color(at: 0.05), PlotColor(red: 70, green: 19, blue: 101), tolerance: 1))
  }
}
