import AstroPlot
import XCTest

final class TextRenderingTests: XCTestCase {
  func testGlyphIMatchesItsTable() throws {
    var image = try RasterImage(width: 30, height: 30)
    let box = image.drawText("I", x: 10, y: 10, scale: 1, color: .black)
    XCTAssertEqual(box, PixelRect(x: 10, y: 10, width: 5, height: 9))
    // ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###." : 3 + 5 + 3 = 11 ink pixels.
    XCTAssertEqual(image.inkPixels(in: image.bounds), 11)
    XCTAssertEqual(image.pixel(x: 10, y: 10), .white)
    XCTAssertEqual(image.pixel(x: 11, y: 10), .black)
    XCTAssertEqual(image.pixel(x: 12, y: 13), .black)
    XCTAssertEqual(image.pixel(x: 11, y: 13), .white)
  }

  func testScaleMultipliesEveryFontPixel() throws {
    var image = try RasterImage(width: 40, height: 40)
    let box = image.drawText("I", x: 0, y: 0, scale: 3, color: .black)
    XCTAssertEqual(box.width, 15)
    XCTAssertEqual(box.height, 27)
    XCTAssertEqual(image.inkPixels(in: image.bounds), 11 * 9)
  }

  func testTextInkStaysInsideItsBox() throws {
    var image = try RasterImage(width: 300, height: 60)
    let text = "candid 123 p=0.93 label 0 gjpqy"
    let box = image.drawText(text, x: 150, y: 30, scale: 2, color: .ink, horizontal: .center, vertical: .center)
    XCTAssertEqual(box.width, (text.count * 6 - 1) * 2)
    XCTAssertEqual(box.height, 18)
    XCTAssertEqual(box.x, 150 - box.width / 2)
    let inside = image.inkPixels(in: box)
    XCTAssertGreaterThan(inside, 200)
    XCTAssertEqual(image.inkPixels(in: image.bounds), inside)
    // Descenders reach below the baseline row (row 7 of the glyph box at scale 1 = rows 14-17 at scale 2).
    XCTAssertGreaterThan(image.inkPixels(in: PixelRect(x: box.x, y: box.y + 14, width: box.width, height: 4)), 0)
  }

  func testEveryPrintableCharacterHasAGlyphAndSpaceIsBlank() throws {
    for code in 33...126 {
      var image = try RasterImage(width: 10, height: 12)
      let character = String(UnicodeScalar(UInt8(code)))
      image.drawText(character, x: 1, y: 1, color: .black)
      XCTAssertGreaterThan(image.inkPixels(in: image.bounds), 0, "glyph for \(character)")
    }
    var space = try RasterImage(width: 10, height: 12)
    space.drawText(" ", x: 1, y: 1, color: .black)
    XCTAssertEqual(space.inkPixels(in: space.bounds), 0)
  }

  func testNonASCIIIsDrawnAsQuestionMark() throws {
    var accented = try RasterImage(width: 10, height: 12), question = try RasterImage(width: 10, height: 12)
    accented.drawText("é", x: 1, y: 1, color: .black)
    question.drawText("?", x: 1, y: 1, color: .black)
    XCTAssertEqual(accented.pixels, question.pixels)
  }

  func testMultilineTextStacksLines() throws {
    XCTAssertEqual(BitmapFont.height(of: "a\nb", scale: 2), (10 + 9) * 2)
    XCTAssertEqual(BitmapFont.width(of: "abc\nabcdef", scale: 1), 35)
  }

  func testVerticalTextReadsBottomToTop() throws {
    var image = try RasterImage(width: 40, height: 40)
    let box = image.drawVerticalText("I", centerX: 20, centerY: 20, scale: 1, color: .black)
    XCTAssertEqual(box, PixelRect(x: 16, y: 18, width: 9, height: 5))
    // The top bar of "I" (glyph row 0, columns 1-3) becomes the left column, rows 21, 20, 19.
    for y in 19...21 { XCTAssertEqual(image.pixel(x: 16, y: y), .black) }
    XCTAssertEqual(image.pixel(x: 16, y: 18), .white)
    XCTAssertEqual(image.pixel(x: 16, y: 22), .white)
    // The stem (column 2, rows 1-5) becomes row 20, columns 17-21.
    for x in 17...21 { XCTAssertEqual(image.pixel(x: x, y: 20), .black) }
    XCTAssertEqual(image.inkPixels(in: image.bounds), 11)
    XCTAssertEqual(image.inkPixels(in: box), 11)
  }
}
