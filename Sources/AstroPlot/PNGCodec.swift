import AstroIO
import Foundation
import _CPNG

/// PNG encoding and decoding through libpng's *simplified* API (`png_image_*`).
///
/// libpng's classic API reports errors by `longjmp` out of the failing call, which Swift cannot catch (it would
/// jump over Swift frames and corrupt the program). The simplified API (`png_image_write_to_memory`,
/// `png_image_begin_read_from_file`/`_from_memory`, `png_image_finish_read`) sets up the `setjmp` inside libpng
/// itself and returns 0 with a message in `png_image.message` instead, so it is safe to call from Swift.
extension RasterImage {
  /// The image encoded as PNG (8-bit RGB or RGBA, as `format`).
  /// - Throws: `PlotError.png` with libpng's message.
  public func pngData() throws -> Data {
    var image = png_image()
    image.version = astro_png_image_version()
    image.width = png_uint_32(width)
    image.height = png_uint_32(height)
    image.format = format == .rgba ? astro_png_format_rgba() : astro_png_format_rgb()
    let stride = png_int_32(width * format.channels)
    // First pass with no buffer: libpng reports the size it needs; the second pass fills a buffer of that size.
    var size: png_alloc_size_t = 0
    let sized = pixels.withUnsafeBytes { raw in
      png_image_write_to_memory(&image, nil, &size, 0, raw.baseAddress, stride, nil)
    }
    guard sized != 0, size > 0 else { throw PlotError.png(operation: "PNG encode", path: nil, message: Self.message(of: &image)) }
    var data = Data(count: Int(size))
    let written = data.withUnsafeMutableBytes { output in
      pixels.withUnsafeBytes { raw in
        png_image_write_to_memory(&image, output.baseAddress, &size, 0, raw.baseAddress, stride, nil)
      }
    }
    guard written != 0 else { throw PlotError.png(operation: "PNG encode", path: nil, message: Self.message(of: &image)) }
    data.count = Int(size)
    return data
  }

  /// Writes the image as a PNG file at `path`, atomically (temporary file, fsync, rename).
  /// - Throws: `PlotError.png` if encoding fails, `PlotError.io` if the file cannot be written.
  public func writePNG(to path: String) throws {
    let data = try pngData()
    do {
      try AtomicFile.write([data], to: path)
    } catch let failure as AtomicFile.Failure {
      throw PlotError.io(path: path, message: failure.message)
    }
  }

  /// Reads the PNG file at `path`, converted by libpng to 8-bit `format` (any PNG colour type and bit depth is
  /// accepted; transparency is composited onto white when reading as RGB).
  /// - Throws: `PlotError.png` for a missing, truncated or invalid file.
  public init(pngFile path: String, format: PixelFormat = .rgb) throws {
    var image = png_image()
    image.version = astro_png_image_version()
    guard png_image_begin_read_from_file(&image, path) != 0 else {
      throw PlotError.png(operation: "PNG read", path: path, message: Self.message(of: &image))
    }
    try self.init(finishing: &image, format: format, path: path)
  }

  /// Decodes PNG bytes (see `init(pngFile:format:)`).
  /// - Throws: `PlotError.png` for invalid data.
  public init(pngData data: Data, format: PixelFormat = .rgb) throws {
    // libpng keeps the memory pointer until finish_read, so begin and finish inside one buffer access.
    let result: Result<RasterImage, Error> = data.withUnsafeBytes { raw in
      var image = png_image()
      image.version = astro_png_image_version()
      guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
        return .failure(PlotError.png(operation: "PNG decode", path: nil, message: Self.message(of: &image)))
      }
      return Result { try RasterImage(finishing: &image, format: format, path: nil) }
    }
    self = try result.get()
  }

  /// Completes a read begun by `png_image_begin_read_*` (which filled in the size); frees libpng's state on
  /// every path.
  private init(finishing image: inout png_image, format: PixelFormat, path: String?) throws {
    let width = Int(image.width), height = Int(image.height)
    guard (1...RasterImage.maximumDimension).contains(width), (1...RasterImage.maximumDimension).contains(height) else {
      png_image_free(&image)
      throw PlotError.png(operation: "PNG read", path: path, message: "image size \(width)x\(height) not supported")
    }
    image.format = format == .rgba ? astro_png_format_rgba() : astro_png_format_rgb()
    var bytes = [UInt8](repeating: 0, count: width * height * format.channels)
    // An opaque white background for RGB output, so transparent PNGs read as they look on a page.
    var white = png_color(red: 255, green: 255, blue: 255)
    let finished = bytes.withUnsafeMutableBytes { raw in
      format == .rgb
        ? png_image_finish_read(&image, &white, raw.baseAddress, 0, nil)
        : png_image_finish_read(&image, nil, raw.baseAddress, 0, nil)
    }
    guard finished != 0 else {
      let message = Self.message(of: &image)
      png_image_free(&image)
      throw PlotError.png(operation: "PNG read", path: path, message: message)
    }
    try self.init(width: width, height: height, format: format, pixels: bytes)
  }

  /// libpng's error text from the fixed-size `message` field.
  private static func message(of image: inout png_image) -> String {
    withUnsafeBytes(of: &image.message) { raw in
      let bytes = raw.prefix { $0 != 0 }
      let text = String(decoding: bytes, as: UTF8.self)
      return text.isEmpty ? "unknown error" : text
    }
  }
}
