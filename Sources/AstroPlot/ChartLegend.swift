/// The legend box: one row per named series or reference line, with a sample of its line, marker or fill,
/// placed in a corner of the plot area on a translucent white background so data behind it stays faintly visible.
struct ChartLegend {
  let chart: Chart
  let layout: ChartLayout
  /// Resolved colour of each series, by index.
  let colors: [PlotColor]

  private enum Sample {
    case series(ChartSeries, PlotColor)
    case reference(ReferenceLine)
  }

  func draw(on image: inout RasterImage) {
    var entries: [(String, Sample)] = []
    for (index, series) in chart.series.enumerated() {
      if let name = series.name, !name.isEmpty { entries.append((name, .series(series, colors[index]))) }
    }
    for line in chart.referenceLines {
      if let name = line.name, !name.isEmpty { entries.append((name, .reference(line))) }
    }
    guard !entries.isEmpty else { return }

    let m = ChartLayout.Metrics(scale: layout.textScale)
    let sampleWidth = 10 * m.scale + 12
    let rowHeight = max(m.fontHeight, 12) + m.gap
    let textWidth = entries.map { BitmapFont.width(of: $0.0, scale: m.scale) }.max() ?? 0
    let boxWidth = 2 * m.gap + sampleWidth + m.gap + textWidth + 2 * m.gap
    let boxHeight = entries.count * rowHeight + 2 * m.gap
    let plot = layout.plotArea
    let margin = 2 * m.gap
    func corner(_ placement: LegendPlacement) -> PixelRect {
      let left = placement == .topLeft || placement == .bottomLeft
      let top = placement == .topLeft || placement == .topRight
      return PixelRect(
        x: left ? plot.x + margin : plot.maxX - boxWidth - margin,
        y: top ? plot.y + margin : plot.maxY - boxHeight - margin, width: boxWidth, height: boxHeight)
    }
    let box = corner(chart.legend == .automatic ? leastCrowdedCorner(corner) : chart.legend)
    image.fillRect(box, color: PlotColor.white.withOpacity(0.9))
    image.strokeRect(box, color: PlotColor(hex: 0xaaaaaa))

    for (row, (name, sample)) in entries.enumerated() {
      let centreY = Double(box.y + m.gap + row * rowHeight) + Double(rowHeight) / 2
      let left = Double(box.x + 2 * m.gap), right = left + Double(sampleWidth)
      switch sample {
      case .series(let series, let color):
        if series.band != nil {
          let h = Double(m.fontHeight) * 0.7
          image.fillPolygon(
            [PixelPoint(x: left, y: centreY - h / 2), PixelPoint(x: right, y: centreY - h / 2),
             PixelPoint(x: right, y: centreY + h / 2), PixelPoint(x: left, y: centreY + h / 2)],
            color: color.withOpacity(series.bandOpacity * Double(color.alpha) / 255))
        }
        if let width = series.lineWidth {
          image.drawPolyline(
            [PixelPoint(x: left, y: centreY), PixelPoint(x: right, y: centreY)], color: color, width: width,
            dashPattern: series.dashPattern)
        }
        if let marker = series.marker {
          image.drawMarker(
            marker, at: PixelPoint(x: (left + right) / 2, y: centreY), size: min(series.markerSize, Double(rowHeight)),
            color: color, edgeColor: series.markerEdgeColor)
        }
      case .reference(let line):
        image.drawPolyline(
          [PixelPoint(x: left, y: centreY), PixelPoint(x: right, y: centreY)], color: line.color, width: line.width,
          dashPattern: line.dashPattern)
      }
      image.drawText(
        name, x: Int(right) + m.gap, y: Int(centreY) - BitmapFont.ascent * m.scale / 2, scale: m.scale, color: .ink)
    }
  }

  /// The corner whose legend box would hide the fewest data points (points, error-bar ends and band edges).
  private func leastCrowdedCorner(_ box: (LegendPlacement) -> PixelRect) -> LegendPlacement {
    var points: [PixelPoint] = []
    for series in chart.series {
      for i in series.x.indices {
        if let p = layout.point(x: series.x[i], y: series.y[i]) { points.append(p) }
        if let e = series.yErrors?[i], e > 0 {
          for y in [series.y[i] - e, series.y[i] + e] { if let p = layout.point(x: series.x[i], y: y) { points.append(p) } }
        }
      }
      // Lines between sparse points cross the box too: sample each segment.
      if series.lineWidth != nil {
        for i in series.x.indices.dropFirst() {
          guard let a = layout.point(x: series.x[i - 1], y: series.y[i - 1]),
                let b = layout.point(x: series.x[i], y: series.y[i]) else { continue }
          for k in 1..<8 {
            let t = Double(k) / 8
            points.append(PixelPoint(x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t))
          }
        }
      }
    }
    var best = LegendPlacement.topRight
    var fewest = Int.max
    for placement in [LegendPlacement.topRight, .topLeft, .bottomLeft, .bottomRight] {
      let r = box(placement)
      let covered = points.filter {
        $0.x >= Double(r.x) && $0.x < Double(r.maxX) && $0.y >= Double(r.y) && $0.y < Double(r.maxY)
      }.count
      if covered < fewest {
        fewest = covered
        best = placement
      }
    }
    return best
  }
}
