/// Straight lines and polylines. Anti-aliased strokes are rasterised by distance: a pixel's coverage is how far
/// its centre lies inside the stroke's edge (`width/2 + 0.5 - distance`, clamped to [0, 1]), which gives round
/// caps and joins and a smooth edge without a general-purpose path renderer.
extension RasterImage {
  /// Draws the segment `from`-`to` (canvas coordinates, see `PixelPoint`) in `color`.
  ///
  /// - Parameters:
  ///   - from: One end, in canvas coordinates.
  ///   - to: The other end.
  ///   - color: The stroke colour (its alpha blends).
  ///   - width: Stroke width in pixels.
  ///   - antialiased: When false, a 1-pixel line is drawn with Bresenham's algorithm between the pixels that
  ///     contain the end points, and wider lines get hard edges (no partial coverage): for crisp pixel art.
  public mutating func drawLine(
    from: PixelPoint, to: PixelPoint, color: PlotColor, width: Double = 1, antialiased: Bool = true
  ) {
    // Bresenham walks every pixel between the ends, so it only takes ends near the canvas; others (a line to a
    // point far outside the plot) go through the clipped path below, with hard edges.
    let near = bounds.insetBy(-4096)
    if !antialiased && width <= 1 && [from, to].allSatisfy({
      $0.x.isFinite && $0.y.isFinite && near.contains(x: floorToPixel($0.x), y: floorToPixel($0.y))
    }) {
      drawBresenhamLine(
        x0: floorToPixel(from.x), y0: floorToPixel(from.y),
        x1: floorToPixel(to.x), y1: floorToPixel(to.y), color: color)
      return
    }
    drawPolyline([from, to], color: color, width: width, antialiased: antialiased)
  }

  /// Draws connected segments through `points`.
  ///
  /// Coverage is accumulated as the maximum over all segments before blending once, so a translucent line
  /// does not darken where its segments overlap at the joins.
  /// - Parameters:
  ///   - points: The vertices in order, in canvas coordinates (non-finite ones are skipped).
  ///   - color: The stroke colour (its alpha blends).
  ///   - width: Stroke width in pixels.
  ///   - dashPattern: Alternating on/off lengths in pixels measured along the line (e.g. `[8, 5]`); empty for a
  ///     solid line. Non-positive entries are ignored.
  ///   - antialiased: When false, pixels are either fully painted (coverage >= 0.5) or left alone.
  public mutating func drawPolyline(
    _ points: [PixelPoint], color: PlotColor, width: Double = 1, dashPattern: [Double] = [],
    antialiased: Bool = true
  ) {
    let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
    guard !finite.isEmpty, width > 0, width.isFinite else { return }
    let half = width / 2
    let reach = ceilToPixel(half) + 2
    let window = PixelRect(x: -reach, y: -reach, width: self.width + 2 * reach, height: height + 2 * reach)
    let segments = Self.dashed(finite.count == 1 ? [finite[0], finite[0]] : finite, pattern: dashPattern, window: window)
    guard !segments.isEmpty else { return }
    // Bounding box of everything this stroke can touch, clamped to the canvas.
    var minX = Double.infinity, minY = Double.infinity, maxX = -Double.infinity, maxY = -Double.infinity
    for s in segments {
      minX = min(minX, s.0.x, s.1.x); maxX = max(maxX, s.0.x, s.1.x)
      minY = min(minY, s.0.y, s.1.y); maxY = max(maxY, s.0.y, s.1.y)
    }
    let x0 = floorToPixel(minX - half - 1), y0 = floorToPixel(minY - half - 1)
    let x1 = ceilToPixel(maxX + half + 1), y1 = ceilToPixel(maxY + half + 1)
    let area = PixelRect(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1).intersection(bounds)
    guard !area.isEmpty else { return }
    var coverage = [Float](repeating: 0, count: area.width * area.height)
    for (a, b) in segments {
      let sx0 = max(area.x, floorToPixel(min(a.x, b.x) - half - 1))
      let sx1 = min(area.maxX - 1, ceilToPixel(max(a.x, b.x) + half + 1))
      let sy0 = max(area.y, floorToPixel(min(a.y, b.y) - half - 1))
      let sy1 = min(area.maxY - 1, ceilToPixel(max(a.y, b.y) + half + 1))
      guard sx0 <= sx1, sy0 <= sy1 else { continue }
      for py in sy0...sy1 {
        for px in sx0...sx1 {
          let d = Self.distance(from: PixelPoint.center(column: px, row: py), toSegment: a, b)
          var c = min(max(half + 0.5 - d, 0), 1)
          if !antialiased { c = c >= 0.5 ? 1 : 0 }
          let index = (py - area.y) * area.width + (px - area.x)
          if Float(c) > coverage[index] { coverage[index] = Float(c) }
        }
      }
    }
    for row in 0..<area.height {
      for column in 0..<area.width {
        let c = coverage[row * area.width + column]
        if c > 0 { blendPixel(x: area.x + column, y: area.y + row, color: color, coverage: Double(c)) }
      }
    }
  }

  /// Bresenham's integer line between two pixels, both ends included.
  private mutating func drawBresenhamLine(x0: Int, y0: Int, x1: Int, y1: Int, color: PlotColor) {
    var x = x0, y = y0
    let dx = abs(x1 - x0), dy = -abs(y1 - y0)
    let stepX = x0 < x1 ? 1 : -1, stepY = y0 < y1 ? 1 : -1
    var error = dx + dy
    while true {
      blendPixel(x: x, y: y, color: color)
      if x == x1 && y == y1 { break }
      let e2 = 2 * error
      if e2 >= dy { error += dy; x += stepX }
      if e2 <= dx { error += dx; y += stepY }
    }
  }

  /// Euclidean distance from `p` to the segment `a`-`b` (to `a` when the segment is a point).
  static func distance(from p: PixelPoint, toSegment a: PixelPoint, _ b: PixelPoint) -> Double {
    let vx = b.x - a.x, vy = b.y - a.y
    let lengthSquared = vx * vx + vy * vy
    var t = 0.0
    if lengthSquared > 0 { t = min(max(((p.x - a.x) * vx + (p.y - a.y) * vy) / lengthSquared, 0), 1) }
    let dx = p.x - (a.x + t * vx), dy = p.y - (a.y + t * vy)
    return (dx * dx + dy * dy).squareRoot()
  }

  /// The polyline cut into the "on" pieces of a dash pattern (its plain segments when the pattern is empty),
  /// keeping only what lies inside `window`. The pattern's phase runs along the whole polyline, clipped parts
  /// included, as in PostScript/matplotlib dashes; clipping first keeps a segment to a far-away point (a data
  /// value well outside an axis range) from being cut into millions of dashes.
  static func dashed(_ points: [PixelPoint], pattern: [Double], window: PixelRect) -> [(PixelPoint, PixelPoint)] {
    let dashes = pattern.filter { $0 > 0 && $0.isFinite }
    let period = dashes.reduce(0, +)
    var pieces: [(PixelPoint, PixelPoint)] = []
    var travelled = 0.0
    for i in 0..<(points.count - 1) {
      let a = points[i], b = points[i + 1]
      let length = ((b.x - a.x) * (b.x - a.x) + (b.y - a.y) * (b.y - a.y)).squareRoot()
      defer { travelled += length }
      guard let (t0, t1) = clipSegment(a, b, to: window) else { continue }
      func at(_ t: Double) -> PixelPoint { PixelPoint(x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t) }
      guard dashes.count >= 2, length > 0 else {
        pieces.append((at(t0), at(t1)))
        continue
      }
      var position = t0 * length
      let end = t1 * length
      while position < end {
        // Where in the pattern this position falls, and how much of that dash or gap is left.
        var phase = (travelled + position).truncatingRemainder(dividingBy: period)
        var index = 0
        while index < dashes.count - 1 && phase >= dashes[index] {
          phase -= dashes[index]
          index += 1
        }
        let step = max(min(dashes[index] - phase, end - position), 1e-6)
        if index % 2 == 0 { pieces.append((at(position / length), at(min(position + step, end) / length))) }
        position += step
      }
    }
    return pieces
  }

  /// Liang-Barsky: the parameter interval `[t0, t1]` of segment `a`-`b` inside `rect`, or nil when it misses.
  static func clipSegment(_ a: PixelPoint, _ b: PixelPoint, to rect: PixelRect) -> (Double, Double)? {
    var t0 = 0.0, t1 = 1.0
    let dx = b.x - a.x, dy = b.y - a.y
    let checks: [(Double, Double)] = [
      (-dx, a.x - Double(rect.x)), (dx, Double(rect.maxX) - a.x),
      (-dy, a.y - Double(rect.y)), (dy, Double(rect.maxY) - a.y),
    ]
    for (p, q) in checks {
      if p == 0 {
        if q < 0 { return nil }
      } else {
        let r = q / p
        if p < 0 { t0 = max(t0, r) } else { t1 = min(t1, r) }
      }
    }
    return t0 <= t1 ? (t0, t1) : nil
  }
}
