/// A single-channel float image (a cutout, one channel of a braai triplet), row-major with row 0 first.
/// Values may include NaN (masked pixels); they are drawn in a separate colour and ignored by the stretches.
public struct GrayscaleImage: Hashable, Sendable {
  /// Columns.
  public let width: Int
  /// Rows.
  public let height: Int
  /// `width * height` values, row-major.
  public let pixels: [Float]

  /// - Throws: `PlotError.invalidArgument` for a non-positive size, `PlotError.lengthMismatch` when `pixels`
  ///   does not hold `width * height` values.
  public init(width: Int, height: Int, pixels: [Float]) throws {
    try RasterImage.validate(width: width, height: height, operation: "GrayscaleImage")
    guard pixels.count == width * height else {
      throw PlotError.lengthMismatch(
        operation: "GrayscaleImage", message: "\(pixels.count) values for a \(width)x\(height) image")
    }
    self.width = width
    self.height = height
    self.pixels = pixels
  }

  /// The value at column `x`, row `y` (no bounds check beyond the array's own).
  public subscript(x: Int, y: Int) -> Float { pixels[y * width + x] }

  /// Splits an interleaved height x width x channels array (HWC, as braai's 63x63x3 science/reference/
  /// difference triplets are stored) into one image per channel.
  /// - Throws: `PlotError.invalidArgument` for a non-positive size or channel count, `PlotError.lengthMismatch`
  ///   when `values` does not hold `width * height * channels` numbers.
  public static func channels(ofHWC values: [Float], width: Int, height: Int, channels: Int) throws -> [GrayscaleImage] {
    guard channels >= 1 else {
      throw PlotError.invalidArgument(operation: "GrayscaleImage.channels", message: "channel count \(channels) < 1")
    }
    try RasterImage.validate(width: width, height: height, operation: "GrayscaleImage.channels")
    guard values.count == width * height * channels else {
      throw PlotError.lengthMismatch(
        operation: "GrayscaleImage.channels",
        message: "\(values.count) values for \(height)x\(width)x\(channels) (expected \(width * height * channels))")
    }
    return try (0..<channels).map { c in
      try GrayscaleImage(width: width, height: height, pixels: (0..<(width * height)).map { values[$0 * channels + c] })
    }
  }
}
