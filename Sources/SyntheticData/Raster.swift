/// A single-channel image of `width` x `height` float pixels, row-major: pixel (row r, column c) is
/// `pixels[r * width + c]` and its centre has coordinates x = c, y = r.
///
/// The generators paint sources into rasters (signal only, in detector counts), then add background and
/// noise and stack channels.
public struct Raster: Sendable, Equatable {
  /// Columns.
  public let width: Int
  /// Rows.
  public let height: Int
  /// `width * height` values, row-major.
  public var pixels: [Float]

  /// A zero image.
  public init(width: Int, height: Int) {
    precondition(width > 0 && height > 0, "Raster: size must be positive, got \(width)x\(height)")
    self.width = width
    self.height = height
    pixels = [Float](repeating: 0, count: width * height)
  }

  /// Pixel (row, column).
  @inlinable
  public subscript(row: Int, column: Int) -> Float {
    get { pixels[row * width + column] }
    set { pixels[row * width + column] = newValue }
  }

  /// The coordinates of the central pixel (31, 31 for a 63 x 63 cutout).
  public var center: (x: Double, y: Double) { (Double(width / 2), Double(height / 2)) }

  /// Adds `other * scale` pixel by pixel (same size).
  public mutating func add(_ other: Raster, scale: Float = 1) {
    precondition(other.width == width && other.height == height, "Raster.add: size mismatch")
    for i in pixels.indices { pixels[i] += other.pixels[i] * scale }
  }

  /// Adds `value` to pixel (row, column) when it lies inside the image; silently ignores it otherwise,
  /// so tracks and trails may run off the edge.
  @inline(__always)
  public mutating func deposit(row: Int, column: Int, _ value: Float) {
    guard row >= 0, row < height, column >= 0, column < width else { return }
    pixels[row * width + column] += value
  }

  /// The clamped index range of rows or columns within `radius` of `center`.
  func span(_ center: Double, radius: Double, limit: Int) -> Range<Int>? {
    let low = max(0, Int((center - radius).rounded(.down)))
    let high = min(limit - 1, Int((center + radius).rounded(.up)))
    return low <= high ? low..<(high + 1) : nil
  }
}
