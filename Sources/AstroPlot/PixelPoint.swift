/// A point in continuous canvas coordinates, in pixels. Pixel (i, j) covers `[i, i+1) x [j, j+1)`, so its
/// centre is (i + 0.5, j + 0.5); y grows downwards as in the stored image.
public struct PixelPoint: Hashable, Sendable {
  /// Horizontal canvas coordinate in pixels.
  public var x: Double
  /// Vertical canvas coordinate in pixels (down).
  public var y: Double

  /// A point from its coordinates.
  public init(x: Double, y: Double) {
    self.x = x; self.y = y
  }

  /// The centre of pixel (`column`, `row`).
  public static func center(column: Int, row: Int) -> PixelPoint {
    PixelPoint(x: Double(column) + 0.5, y: Double(row) + 0.5)
  }
}
