/// The part of a cutout that lies beyond a CCD edge: the `depth` outermost rows or columns on one side.
/// ZTF cutouts of candidates near an edge carry NaN there; braai's preprocessing turns them into zeros.
public struct OffChipRegion: Sendable, Equatable {
  /// The cutout side beyond which the chip ends.
  public enum Side: Int, Sendable, CaseIterable {
    case top, bottom, left, right
  }

  /// Where the chip ends.
  public var side: Side
  /// Rows (top/bottom) or columns (left/right) off the chip, counted from that side.
  public var depth: Int

  /// The `depth` outermost rows or columns on `side`.
  public init(side: Side, depth: Int) {
    self.side = side
    self.depth = depth
  }

  /// Whether pixel (row, column) of a `size` x `size` cutout is off the chip.
  @inline(__always)
  public func contains(row: Int, column: Int, size: Int) -> Bool {
    switch side {
    case .top: return row < depth
    case .bottom: return row >= size - depth
    case .left: return column < depth
    case .right: return column >= size - depth
    }
  }

  /// Distance (pixels) from the centre of pixel (row, column) to the edge, positive on the chip.
  func distanceInside(row: Int, column: Int, size: Int) -> Double {
    switch side {
    case .top: return Double(row - depth) + 0.5
    case .bottom: return Double(size - depth - row) - 0.5
    case .left: return Double(column - depth) + 0.5
    case .right: return Double(size - depth - column) - 0.5
    }
  }
}
