/// Where a text's anchor point lies horizontally within the text's box.
public enum HorizontalAlignment: Sendable {
  case left, center, right
}

/// Where a text's anchor point lies vertically within the text's box (which spans from the top of capitals
/// on the first line to the bottom of descenders on the last).
public enum VerticalAlignment: Sendable {
  case top, center, bottom
}

/// Text in the built-in `BitmapFont`, horizontal or rotated for a y-axis label.
extension RasterImage {
  /// Draws `text` (lines split at "\n") so that its box is placed at (`x`, `y`) according to the alignments,
  /// each font pixel becoming a `scale` x `scale` square. Returns the box the text occupies, whether or not
  /// it is clipped.
  @discardableResult
  public mutating func drawText(
    _ text: String, x: Int, y: Int, scale: Int = 1, color: PlotColor = .ink,
    horizontal: HorizontalAlignment = .left, vertical: VerticalAlignment = .top
  ) -> PixelRect {
    let s = max(scale, 1)
    let box = Self.textBox(text, x: x, y: y, width: BitmapFont.width(of: text, scale: s),
                           height: BitmapFont.height(of: text, scale: s), horizontal: horizontal, vertical: vertical)
    for (lineIndex, line) in BitmapFont.lines(of: text).enumerated() {
      // Each line is aligned on its own, so centred multi-line captions look centred.
      let lineWidth = BitmapFont.width(of: String(line), scale: s)
      var penX = box.x
      switch horizontal {
      case .left: break
      case .center: penX = box.x + (box.width - lineWidth) / 2
      case .right: penX = box.maxX - lineWidth
      }
      let top = box.y + lineIndex * BitmapFont.lineHeight * s
      for character in line {
        for (row, bits) in BitmapFont.rows(of: character).enumerated() {
          for (column, ink) in bits.enumerated() where ink {
            fillRect(PixelRect(x: penX + column * s, y: top + row * s, width: s, height: s), color: color)
          }
        }
        penX += BitmapFont.advance * s
      }
    }
    return box
  }

  /// Draws one line of `text` rotated 90 degrees counter-clockwise (reading bottom to top, as a y-axis label),
  /// its box centred on (`centerX`, `centerY`). Returns that box (`height(of:)` wide, `width(of:)` tall).
  @discardableResult
  public mutating func drawVerticalText(
    _ text: String, centerX: Int, centerY: Int, scale: Int = 1, color: PlotColor = .ink
  ) -> PixelRect {
    let s = max(scale, 1)
    let line = String(BitmapFont.lines(of: text).first ?? "")
    let length = BitmapFont.width(of: line, scale: s)
    let thickness = BitmapFont.height(scale: s)
    let box = PixelRect(x: centerX - thickness / 2, y: centerY - length / 2, width: thickness, height: length)
    var penX = 0  // position along the text, in unrotated pixels
    for character in line {
      for (row, bits) in BitmapFont.rows(of: character).enumerated() {
        for (column, ink) in bits.enumerated() where ink {
          // Unrotated (u, v) = (penX + column*s, row*s) maps to (v, length - 1 - u): bottom-to-top reading.
          let u = penX + column * s, v = row * s
          fillRect(PixelRect(x: box.x + v, y: box.y + length - u - s, width: s, height: s), color: color)
        }
      }
      penX += BitmapFont.advance * s
    }
    return box
  }

  static func textBox(
    _ text: String, x: Int, y: Int, width: Int, height: Int,
    horizontal: HorizontalAlignment, vertical: VerticalAlignment
  ) -> PixelRect {
    let left: Int
    switch horizontal {
    case .left: left = x
    case .center: left = x - width / 2
    case .right: left = x - width
    }
    let top: Int
    switch vertical {
    case .top: top = y
    case .center: top = y - height / 2
    case .bottom: top = y - height
    }
    return PixelRect(x: left, y: top, width: width, height: height)
  }
}
