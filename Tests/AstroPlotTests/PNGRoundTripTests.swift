import AstroPlot
import Foundation
import XCTest

final class PNGRoundTripTests: XCTestCase {
  /// Every byte value in every channel, so a swapped channel or a lossy step would show.
  private func patternImage(format: PixelFormat) throws -> RasterImage {
    let width = 37, height = 11
    var bytes = [UInt8]()
    for i in 0..<(width * height * format.channels) { bytes.append(UInt8((i * 7 + i / 3) % 256)) }
    if format == .rgba {
      // libpng's simplified API stores straight alpha; keep alpha 255 on some pixels and not on others.
      for p in 0..<(width * height) where p % 3 == 0 { bytes[p * 4 + 3] = 255 }
    }
    return try RasterImage(width: width, height: height, format: format, pixels: bytes)
  }

  func testRGBFileRoundTripKeepsEveryPixel() throws {
    let folder = try makeTemporaryFolder(self)
    let image = try patternImage(format: .rgb)
    let path = folder + "/pattern.png"
    try image.writePNG(to: path)
    let back = try RasterImage(pngFile: path)
    XCTAssertEqual(back.width, 37)
    XCTAssertEqual(back.height, 11)
    XCTAssertEqual(back.format, .rgb)
    XCTAssertEqual(back.pixels, image.pixels)
    // The file really is a PNG: the 8-byte signature.
    let header = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(8)
    XCTAssertEqual(Array(header), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
  }

  func testRGBAMemoryRoundTripKeepsEveryPixel() throws {
    let image = try patternImage(format: .rgba)
    let back = try RasterImage(pngData: try image.pngData(), format: .rgba)
    XCTAssertEqual(back.pixels, image.pixels)
  }

  func testTransparentPixelReadAsRGBIsCompositedOnWhite() throws {
    var image = try RasterImage(width: 2, height: 1, format: .rgba, background: .transparent)
    image.setPixel(x: 1, y: 0, color: PlotColor(red: 10, green: 20, blue: 30))
    let back = try RasterImage(pngData: try image.pngData(), format: .rgb)
    XCTAssertEqual(back.pixel(x: 0, y: 0), .white)
    XCTAssertEqual(back.pixel(x: 1, y: 0), PlotColor(red: 10, green: 20, blue: 30))
  }

  func testWriteReplacesFileAtomicallyAndLeavesNoTemporaryFiles() throws {
    let folder = try makeTemporaryFolder(self)
    let path = folder + "/out.png"
    try RasterImage(width: 3, height: 3, background: .black).writePNG(to: path)
    try RasterImage(width: 5, height: 4, background: .white).writePNG(to: path)
    let back = try RasterImage(pngFile: path)
    XCTAssertEqual(back.width, 5)
    XCTAssertEqual(back.pixel(x: 4, y: 3), .white)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["out.png"])
  }

  func testWritingIntoMissingFolderThrowsIOError() throws {
    let image = try RasterImage(width: 2, height: 2)
    XCTAssertThrowsError(try image.writePNG(to: "/nonexistent-folder-\(UUID().uuidString)/x.png")) { error in
      guard case PlotError.io = error else { return XCTFail("expected PlotError.io, got \(error)") }
    }
  }

  func testReadingMissingOrCorruptFilesThrowsPNGError() throws {
    let folder = try makeTemporaryFolder(self)
    XCTAssertThrowsError(try RasterImage(pngFile: folder + "/missing.png")) { error in
      guard case PlotError.png = error else { return XCTFail("expected PlotError.png, got \(error)") }
    }
    let good = try RasterImage(width: 20, height: 20).pngData()
    let truncated = folder + "/truncated.png"
    try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: truncated))
    XCTAssertThrowsError(try RasterImage(pngFile: truncated))
    XCTAssertThrowsError(try RasterImage(pngData: Data("not a png at all".utf8)))
    XCTAssertThrowsError(try RasterImage(pngData: Data()))
  }

  func testCanvasRejectsBadSizes() {
    XCTAssertThrowsError(try RasterImage(width: 0, height: 10))
    XCTAssertThrowsError(try RasterImage(width: 10, height: -1))
    XCTAssertThrowsError(try RasterImage(width: RasterImage.maximumDimension + 1, height: 1))
    XCTAssertThrowsError(try RasterImage(width: 2, height: 2, format: .rgb, pixels: [0, 0, 0])) { error in
      guard case PlotError.lengthMismatch = error else { return XCTFail("expected lengthMismatch, got \(error)") }
    }
  }

  func testPNGWriteReplacesTheFileAtomically() throws {
    let folder = try makeTemporaryFolder(self)
    let path = folder + "/a.png"
    try RasterImage(width: 2, height: 2).writePNG(to: path)
    try RasterImage(width: 3, height: 1).writePNG(to: path)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["a.png"], "no temporary file left")
  }
}
