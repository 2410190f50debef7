import AstroPlot
import XCTest

final class ImageGridTests: XCTestCase {
  /// A 63x63 cutout: 0 everywhere except 1 in the centre pixel.
  private func cutout() throws -> GrayscaleImage {
    var pixels = [Float](repeating: 0, count: 63 * 63)
    pixels[31 * 63 + 31] = 1
    return try GrayscaleImage(width: 63, height: 63, pixels: pixels)
  }

  func testCutoutStripSizeAndContent() throws {
    let images = try [cutout(), cutout(), cutout()]
    let grid = try ImageGrid.strip(
      images, titles: ["Science", "Reference", "Difference"], pixelScale: 3, textScale: 2,
      stretch: .linear(low: 0, high: 1))
    let image = try grid.render()
    // Width: 16 + (3 * 189 + 2 * 6) + 16 = 611. Height: 16 + title band (18 + 4) + 189 + 16 = 243.
    XCTAssertEqual(image.width, 611)
    XCTAssertEqual(image.height, 243)
    let imageTop = 16 + 22
    for panel in 0..<3 {
      let left = 16 + panel * (189 + 6)
      // Titles above each panel, dark image pixels, a white centre block of 3x3 pixels.
      XCTAssertGreaterThan(image.inkPixels(in: PixelRect(x: left, y: 16, width: 189, height: 18)), 30)
      XCTAssertEqual(image.pixel(x: left, y: imageTop), .black)
      XCTAssertEqual(image.pixel(x: left + 31 * 3 + 1, y: imageTop + 31 * 3 + 1), .white)
      XCTAssertEqual(image.pixel(x: left + 30 * 3 + 1, y: imageTop + 31 * 3 + 1), .black)
    }
    XCTAssertEqual(image.pixel(x: 5, y: 5), .white)
  }

  func testGridOfCaptionedTripletsWrapsIntoRows() throws {
    let triplet = try [cutout(), cutout(), cutout()].map { ImagePanel($0, stretch: .linear(low: 0, high: 1)) }
    let cells = (0..<5).map { ImageGridCell(panels: triplet, caption: "candid \($0) p=0.93 label 0") }
    let image = try ImageGrid(cells: cells, columns: 3, pixelScale: 2, textScale: 2).render()
    // Cell: 3 * 126 + 2 * 6 = 390 wide, 126 + 4 + 18 = 148 tall.
    XCTAssertEqual(image.width, 16 + 3 * (390 + 16))
    XCTAssertEqual(image.height, 16 + 2 * (148 + 16))
    // Captions under the first cell; the sixth slot (row 2, column 3) is empty.
    XCTAssertGreaterThan(image.inkPixels(in: PixelRect(x: 16, y: 16 + 126 + 4, width: 390, height: 18)), 50)
    XCTAssertEqual(image.inkPixels(in: PixelRect(x: 16 + 2 * 406, y: 16 + 164, width: 390, height: 148)), 0)
  }

  func testBadGridsThrow() throws {
    XCTAssertThrowsError(try ImageGrid(cells: []).render())
    XCTAssertThrowsError(try ImageGrid(cells: [ImageGridCell(panels: [])]).render())
    XCTAssertThrowsError(try ImageGrid(cells: [ImageGridCell(panels: [ImagePanel(cutout())])], columns: 0).render())
    XCTAssertThrowsError(try ImageGrid.strip([cutout(), cutout()], titles: ["only one"]))
  }
}
