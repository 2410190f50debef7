/// The channel layout of a `RasterImage`: 8 bits per channel, interleaved, rows top to bottom.
public enum PixelFormat: Int, Sendable, Hashable {
  case rgb = 3
  case rgba = 4

  /// Bytes per pixel.
  public var channels: Int { rawValue }
}

/// An 8-bit RGB or RGBA canvas that the chart and image-grid code draws on, and that reads and writes PNG.
///
/// Pixels are stored interleaved (`r, g, b[, a]`), row 0 at the top. Every drawing call blends the colour's
/// alpha over the current pixel ("source over"), skips pixels outside the canvas, and also skips pixels
/// outside `clip` when one is set, so callers never need to pre-clip coordinates.
public struct RasterImage: Hashable, Sendable {
  /// Width in pixels.
  public let width: Int
  /// Height in pixels.
  public let height: Int
  /// RGB or RGBA.
  public let format: PixelFormat
  /// `width * height * format.channels` bytes, row-major, row 0 at the top.
  public private(set) var pixels: [UInt8]
  /// When set, drawing only touches pixels inside this rectangle (a chart clips its series to the plot area).
  public var clip: PixelRect?

  /// The largest width or height accepted: large enough for any figure, small enough that a wrong argument
  /// (a negative number converted, a product of two sizes) fails instead of allocating gigabytes.
  public static let maximumDimension = 16_384

  /// A canvas filled with `background`.
  /// - Throws: `PlotError.invalidArgument` when a dimension is not in `1...maximumDimension`.
  public init(width: Int, height: Int, format: PixelFormat = .rgb, background: PlotColor = .white) throws {
    try Self.validate(width: width, height: height, operation: "RasterImage")
    self.width = width
    self.height = height
    self.format = format
    self.clip = nil
    let pattern: [UInt8] = format == .rgb
      ? [background.red, background.green, background.blue]
      : [background.red, background.green, background.blue, background.alpha]
    var bytes = [UInt8](repeating: 0, count: width * height * format.channels)
    for i in stride(from: 0, to: bytes.count, by: format.channels) {
      for c in 0..<format.channels { bytes[i + c] = pattern[c] }
    }
    self.pixels = bytes
  }

  /// A canvas from existing interleaved bytes (as decoded from a PNG).
  /// - Throws: `PlotError.invalidArgument` for a bad size, `PlotError.lengthMismatch` when `pixels` does not
  ///   hold exactly `width * height * format.channels` bytes.
  public init(width: Int, height: Int, format: PixelFormat, pixels: [UInt8]) throws {
    try Self.validate(width: width, height: height, operation: "RasterImage")
    guard pixels.count == width * height * format.channels else {
      throw PlotError.lengthMismatch(
        operation: "RasterImage",
        message: "\(pixels.count) bytes for a \(width)x\(height) \(format) image (expected \(width * height * format.channels))")
    }
    self.width = width
    self.height = height
    self.format = format
    self.pixels = pixels
    self.clip = nil
  }

  static func validate(width: Int, height: Int, operation: String) throws {
    guard (1...maximumDimension).contains(width), (1...maximumDimension).contains(height) else {
      throw PlotError.invalidArgument(
        operation: operation, message: "size \(width)x\(height) outside 1...\(maximumDimension) in each dimension")
    }
  }

  /// The whole canvas as a rectangle.
  public var bounds: PixelRect { PixelRect(x: 0, y: 0, width: width, height: height) }

  /// The colour at (`x`, `y`) (alpha 255 on an RGB canvas), or nil outside the canvas.
  public func pixel(x: Int, y: Int) -> PlotColor? {
    guard x >= 0, x < width, y >= 0, y < height else { return nil }
    let i = (y * width + x) * format.channels
    return PlotColor(
      red: pixels[i], green: pixels[i + 1], blue: pixels[i + 2], alpha: format == .rgba ? pixels[i + 3] : 255)
  }

  /// Replaces the pixel at (`x`, `y`) with `color` exactly (no blending; alpha is stored on RGBA and dropped
  /// on RGB). Outside the canvas or the clip it does nothing.
  public mutating func setPixel(x: Int, y: Int, color: PlotColor) {
    guard isDrawable(x: x, y: y) else { return }
    let i = (y * width + x) * format.channels
    pixels[i] = color.red; pixels[i + 1] = color.green; pixels[i + 2] = color.blue
    if format == .rgba { pixels[i + 3] = color.alpha }
  }

  /// Blends `color` over the pixel at (`x`, `y`) with the colour's alpha scaled by `coverage` in [0, 1]
  /// (the fraction of the pixel an anti-aliased shape covers). Outside the canvas or the clip it does nothing.
  public mutating func blendPixel(x: Int, y: Int, color: PlotColor, coverage: Double = 1) {
    guard isDrawable(x: x, y: y), coverage > 0 else { return }
    let a = min(coverage, 1) * Double(color.alpha) / 255
    guard a > 0 else { return }
    let i = (y * width + x) * format.channels
    if format == .rgb || pixels[i + 3] == 255 {
      // Opaque destination: plain linear interpolation (the common case, and exact for a = 1).
      pixels[i] = Self.mix(pixels[i], color.red, a)
      pixels[i + 1] = Self.mix(pixels[i + 1], color.green, a)
      pixels[i + 2] = Self.mix(pixels[i + 2], color.blue, a)
    } else {
      // Source-over onto a translucent destination (straight, not premultiplied, alpha as PNG stores it).
      let da = Double(pixels[i + 3]) / 255
      let outA = a + da * (1 - a)
      func over(_ d: UInt8, _ s: UInt8) -> UInt8 {
        guard outA > 0 else { return 0 }
        let v = (Double(s) * a + Double(d) * da * (1 - a)) / outA
        return UInt8(min(max(v.rounded(), 0), 255))
      }
      pixels[i] = over(pixels[i], color.red)
      pixels[i + 1] = over(pixels[i + 1], color.green)
      pixels[i + 2] = over(pixels[i + 2], color.blue)
      pixels[i + 3] = UInt8(min(max((outA * 255).rounded(), 0), 255))
    }
  }

  /// Replaces every pixel with `color` (ignores the clip: this is "clear the canvas").
  public mutating func fill(_ color: PlotColor) {
    let channels = format.channels
    for i in stride(from: 0, to: pixels.count, by: channels) {
      pixels[i] = color.red; pixels[i + 1] = color.green; pixels[i + 2] = color.blue
      if channels == 4 { pixels[i + 3] = color.alpha }
    }
  }

  /// Copies `source` onto this canvas with its top-left corner at (`x`, `y`), blending by the source's alpha
  /// (used to assemble multi-panel figures). Parts outside the canvas or the clip are dropped.
  public mutating func draw(_ source: RasterImage, atX x: Int, y: Int) {
    for sy in 0..<source.height {
      for sx in 0..<source.width {
        guard let color = source.pixel(x: sx, y: sy) else { continue }
        if color.alpha == 255 { setPixel(x: x + sx, y: y + sy, color: color) } else {
          blendPixel(x: x + sx, y: y + sy, color: color)
        }
      }
    }
  }

  func isDrawable(x: Int, y: Int) -> Bool {
    guard x >= 0, x < width, y >= 0, y < height else { return false }
    if let clip, !clip.contains(x: x, y: y) { return false }
    return true
  }

  private static func mix(_ destination: UInt8, _ source: UInt8, _ a: Double) -> UInt8 {
    let v = Double(destination) + (Double(source) - Double(destination)) * a
    return UInt8(min(max(v.rounded(), 0), 255))
  }
}
