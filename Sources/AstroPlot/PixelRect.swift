/// An axis-aligned rectangle of whole pixels: columns `x ..< x + width`, rows `y ..< y + height`, with row 0 at
/// the top of the image (the PNG/screen convention).
public struct PixelRect: Hashable, Sendable, CustomStringConvertible {
  /// Leftmost column.
  public var x: Int
  /// Top row.
  public var y: Int
  /// Columns covered.
  public var width: Int
  /// Rows covered.
  public var height: Int

  /// A rectangle from its top-left corner and size.
  public init(x: Int, y: Int, width: Int, height: Int) {
    self.x = x; self.y = y; self.width = width; self.height = height
  }

  /// One past the last column.
  public var maxX: Int { x + width }
  /// One past the last row.
  public var maxY: Int { y + height }
  /// True when the rectangle holds no pixel.
  public var isEmpty: Bool { width <= 0 || height <= 0 }

  /// Whether pixel (`px`, `py`) lies inside.
  public func contains(x px: Int, y py: Int) -> Bool {
    px >= x && px < maxX && py >= y && py < maxY
  }

  /// The overlap of two rectangles (empty, with non-negative size, when they do not meet).
  public func intersection(_ other: PixelRect) -> PixelRect {
    let x0 = max(x, other.x), y0 = max(y, other.y)
    let x1 = min(maxX, other.maxX), y1 = min(maxY, other.maxY)
    return PixelRect(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
  }

  /// The rectangle shrunk by `amount` pixels on every side.
  public func insetBy(_ amount: Int) -> PixelRect {
    PixelRect(x: x + amount, y: y + amount, width: width - 2 * amount, height: height - 2 * amount)
  }

  public var description: String { "(\(x), \(y)) \(width)x\(height)" }
}
