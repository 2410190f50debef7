/// Rectangles, circles, polygons and markers.
extension RasterImage {
  /// Blends `color` over every pixel of `rect` (clipped to the canvas and `clip`).
  public mutating func fillRect(_ rect: PixelRect, color: PlotColor) {
    let area = rect.intersection(bounds)
    guard !area.isEmpty else { return }
    for y in area.y..<area.maxY {
      for x in area.x..<area.maxX { blendPixel(x: x, y: y, color: color) }
    }
  }

  /// Draws the outline of `rect` with `lineWidth` pixels inside its edge (so the outline never grows the
  /// rectangle: frames drawn at a panel's bounds stay inside it).
  public mutating func strokeRect(_ rect: PixelRect, color: PlotColor, lineWidth: Int = 1) {
    guard !rect.isEmpty, lineWidth > 0 else { return }
    let w = min(lineWidth, (rect.width + 1) / 2, (rect.height + 1) / 2)
    fillRect(PixelRect(x: rect.x, y: rect.y, width: rect.width, height: w), color: color)
    fillRect(PixelRect(x: rect.x, y: rect.maxY - w, width: rect.width, height: w), color: color)
    fillRect(PixelRect(x: rect.x, y: rect.y + w, width: w, height: rect.height - 2 * w), color: color)
    fillRect(PixelRect(x: rect.maxX - w, y: rect.y + w, width: w, height: rect.height - 2 * w), color: color)
  }

  /// A filled, anti-aliased disc.
  public mutating func fillCircle(center: PixelPoint, radius: Double, color: PlotColor) {
    guard radius > 0, radius.isFinite, center.x.isFinite, center.y.isFinite else { return }
    guard let (columns, rows) = pixelRanges(near: center, reach: radius + 1) else { return }
    for y in rows {
      for x in columns {
        let p = PixelPoint.center(column: x, row: y)
        let d = ((p.x - center.x) * (p.x - center.x) + (p.y - center.y) * (p.y - center.y)).squareRoot()
        blendPixel(x: x, y: y, color: color, coverage: min(max(radius + 0.5 - d, 0), 1))
      }
    }
  }

  /// An anti-aliased ring of `lineWidth` centred on the circle of `radius`.
  public mutating func strokeCircle(center: PixelPoint, radius: Double, color: PlotColor, lineWidth: Double = 1) {
    guard radius > 0, radius.isFinite, lineWidth > 0, center.x.isFinite, center.y.isFinite else { return }
    let half = lineWidth / 2
    guard let (columns, rows) = pixelRanges(near: center, reach: radius + half + 1) else { return }
    for y in rows {
      for x in columns {
        let p = PixelPoint.center(column: x, row: y)
        let d = ((p.x - center.x) * (p.x - center.x) + (p.y - center.y) * (p.y - center.y)).squareRoot()
        blendPixel(x: x, y: y, color: color, coverage: min(max(half + 0.5 - abs(d - radius), 0), 1))
      }
    }
  }

  /// Fills the polygon through `vertices` (closed automatically; even-odd rule), anti-aliased: each pixel row is
  /// sampled on four sub-scanlines and each span's ends get their fractional horizontal coverage.
  public mutating func fillPolygon(_ vertices: [PixelPoint], color: PlotColor) {
    let points = vertices.filter { $0.x.isFinite && $0.y.isFinite }
    guard points.count >= 3 else { return }
    let minY = points.map(\.y).min()!, maxY = points.map(\.y).max()!
    let minX = points.map(\.x).min()!, maxX = points.map(\.x).max()!
    let rowStart = max(0, floorToPixel(minY)), rowEnd = min(height - 1, ceilToPixel(maxY))
    let columnStart = max(0, floorToPixel(minX)), columnEnd = min(width - 1, ceilToPixel(maxX))
    guard rowStart <= rowEnd, columnStart <= columnEnd else { return }
    let subScanlines = 4
    var coverage = [Double](repeating: 0, count: columnEnd - columnStart + 1)
    for row in rowStart...rowEnd {
      for i in coverage.indices { coverage[i] = 0 }
      for k in 0..<subScanlines {
        let y = Double(row) + (Double(k) + 0.5) / Double(subScanlines)
        var crossings: [Double] = []
        for i in 0..<points.count {
          let a = points[i], b = points[(i + 1) % points.count]
          // Half-open in y so a vertex shared by two edges is counted once.
          if (a.y <= y && y < b.y) || (b.y <= y && y < a.y) {
            crossings.append(a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x))
          }
        }
        crossings.sort()
        var pair = 0
        while pair + 1 < crossings.count {
          addSpan(from: crossings[pair], to: crossings[pair + 1], weight: 1 / Double(subScanlines),
                  into: &coverage, firstColumn: columnStart)
          pair += 2
        }
      }
      for (i, c) in coverage.enumerated() where c > 0 {
        blendPixel(x: columnStart + i, y: row, color: color, coverage: c)
      }
    }
  }

  /// Draws one scatter marker centred at `center`, `size` pixels across.
  ///
  /// Filled shapes are filled with `color` and, when `edgeColor` is given, outlined with it (1 px), which keeps
  /// overlapping markers distinguishable. `plus` and `cross` are strokes of width `max(1, size/6)` in `color`.
  public mutating func drawMarker(
    _ shape: MarkerShape, at center: PixelPoint, size: Double, color: PlotColor, edgeColor: PlotColor? = nil
  ) {
    guard size > 0, size.isFinite, center.x.isFinite, center.y.isFinite else { return }
    let r = size / 2
    let (cx, cy) = (center.x, center.y)
    switch shape {
    case .circle:
      fillCircle(center: center, radius: r, color: color)
      if let edgeColor { strokeCircle(center: center, radius: r, color: edgeColor) }
    case .plus, .cross:
      let stroke = max(1, size / 6)
      let d = shape == .plus ? r : r * 0.8
      if shape == .plus {
        drawLine(from: PixelPoint(x: cx - d, y: cy), to: PixelPoint(x: cx + d, y: cy), color: color, width: stroke)
        drawLine(from: PixelPoint(x: cx, y: cy - d), to: PixelPoint(x: cx, y: cy + d), color: color, width: stroke)
      } else {
        drawLine(from: PixelPoint(x: cx - d, y: cy - d), to: PixelPoint(x: cx + d, y: cy + d), color: color, width: stroke)
        drawLine(from: PixelPoint(x: cx - d, y: cy + d), to: PixelPoint(x: cx + d, y: cy - d), color: color, width: stroke)
      }
    case .square, .diamond, .triangleUp, .triangleDown:
      let outline = Self.markerOutline(shape, cx: cx, cy: cy, r: r)
      fillPolygon(outline, color: color)
      if let edgeColor { drawPolyline(outline + [outline[0]], color: edgeColor, width: 1) }
    }
  }

  /// The vertices of a polygonal marker. Squares are shrunk slightly so that a square and a circle of the same
  /// `size` look the same weight, as matplotlib does; triangles put their centroid-ish at the centre.
  static func markerOutline(_ shape: MarkerShape, cx: Double, cy: Double, r: Double) -> [PixelPoint] {
    switch shape {
    case .square:
      let h = r * 0.9
      return [PixelPoint(x: cx - h, y: cy - h), PixelPoint(x: cx + h, y: cy - h),
              PixelPoint(x: cx + h, y: cy + h), PixelPoint(x: cx - h, y: cy + h)]
    case .diamond:
      return [PixelPoint(x: cx, y: cy - r), PixelPoint(x: cx + r, y: cy),
              PixelPoint(x: cx, y: cy + r), PixelPoint(x: cx - r, y: cy)]
    case .triangleUp:
      return [PixelPoint(x: cx, y: cy - r), PixelPoint(x: cx + r, y: cy + r * 0.8),
              PixelPoint(x: cx - r, y: cy + r * 0.8)]
    case .triangleDown:
      return [PixelPoint(x: cx, y: cy + r), PixelPoint(x: cx - r, y: cy - r * 0.8),
              PixelPoint(x: cx + r, y: cy - r * 0.8)]
    default:
      return []
    }
  }

  /// The columns and rows of the canvas within `reach` of `center`, or nil when none.
  private func pixelRanges(near center: PixelPoint, reach: Double) -> (ClosedRange<Int>, ClosedRange<Int>)? {
    let x0 = max(0, floorToPixel(center.x - reach)), x1 = min(width - 1, ceilToPixel(center.x + reach))
    let y0 = max(0, floorToPixel(center.y - reach)), y1 = min(height - 1, ceilToPixel(center.y + reach))
    guard x0 <= x1, y0 <= y1 else { return nil }
    return (x0...x1, y0...y1)
  }

  /// Adds `weight` times the covered length of `[from, to)` to each column's coverage.
  private func addSpan(from: Double, to: Double, weight: Double, into coverage: inout [Double], firstColumn: Int) {
    guard to > from else { return }
    let c0 = max(firstColumn, floorToPixel(from))
    let c1 = min(firstColumn + coverage.count - 1, ceilToPixel(to) - 1)
    guard c0 <= c1 else { return }
    for column in c0...c1 {
      let covered = min(to, Double(column + 1)) - max(from, Double(column))
      if covered > 0 { coverage[column - firstColumn] += weight * covered }
    }
  }
}
