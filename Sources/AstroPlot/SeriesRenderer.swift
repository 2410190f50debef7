/// Draws one series into the (already clipped) plot area: band, then line, then error bars, then markers, so
/// that markers stay visible on top of their own line.
struct SeriesRenderer {
  let series: ChartSeries
  let color: PlotColor
  let layout: ChartLayout

  func draw(on image: inout RasterImage) {
    drawBand(on: &image)
    drawLine(on: &image)
    drawErrorBars(on: &image)
    drawMarkers(on: &image)
  }

  /// Runs of consecutive indices whose points can all be drawn; a gap (NaN, <= 0 on log) ends a run.
  private func runs(_ drawable: (Int) -> Bool) -> [[Int]] {
    var result: [[Int]] = [], current: [Int] = []
    for i in series.x.indices {
      if drawable(i) { current.append(i) } else if !current.isEmpty { result.append(current); current = [] }
    }
    if !current.isEmpty { result.append(current) }
    return result
  }

  /// The canvas points of a run, with the intermediate corners of a step line when `steps` is set.
  private func path(_ run: [Int], y: (Int) -> Double) -> [PixelPoint] {
    var points: [PixelPoint] = []
    for (k, i) in run.enumerated() {
      guard let p = layout.point(x: series.x[i], y: y(i)) else { continue }
      if series.steps && k > 0, let last = points.last { points.append(PixelPoint(x: p.x, y: last.y)) }
      points.append(p)
    }
    return points
  }

  private func drawBand(on image: inout RasterImage) {
    guard let band = series.band else { return }
    let fill = color.withOpacity(series.bandOpacity * Double(color.alpha) / 255)
    for run in runs({ i in
      layout.point(x: series.x[i], y: band.lower[i]) != nil && layout.point(x: series.x[i], y: band.upper[i]) != nil
    }) where run.count >= 2 {
      let upper = path(run) { band.upper[$0] }
      let lower = path(run) { band.lower[$0] }
      image.fillPolygon(upper + lower.reversed(), color: fill)
    }
  }

  private func drawLine(on image: inout RasterImage) {
    guard let width = series.lineWidth else { return }
    for run in runs({ layout.point(x: series.x[$0], y: series.y[$0]) != nil }) {
      image.drawPolyline(path(run) { series.y[$0] }, color: color, width: width, dashPattern: series.dashPattern)
    }
  }

  private func drawErrorBars(on image: inout RasterImage) {
    guard let errors = series.yErrors else { return }
    let width = max(1, min(series.lineWidth ?? 1.5, 2))
    let cap = series.markerSize * 0.4
    for i in series.x.indices where errors[i].isFinite && errors[i] > 0 {
      guard let x = layout.pixelX(series.x[i]), let y = layout.pixelY(series.y[i]) else { continue }
      // On a log axis y - error can be <= 0: the bar then runs off the bottom of the plot.
      let offBottom = layout.yInverted ? Double(layout.plotArea.y) - 10 : Double(layout.plotArea.maxY) + 10
      let low = layout.pixelY(series.y[i] - errors[i]) ?? offBottom
      let high = layout.pixelY(series.y[i] + errors[i]) ?? y
      image.drawLine(from: PixelPoint(x: x, y: low), to: PixelPoint(x: x, y: high), color: color, width: width)
      for end in [low, high] {
        image.drawLine(from: PixelPoint(x: x - cap, y: end), to: PixelPoint(x: x + cap, y: end), color: color, width: width)
      }
    }
  }

  private func drawMarkers(on image: inout RasterImage) {
    guard let marker = series.marker else { return }
    for i in series.x.indices {
      guard let p = layout.point(x: series.x[i], y: series.y[i]) else { continue }
      image.drawMarker(marker, at: p, size: series.markerSize, color: color, edgeColor: series.markerEdgeColor)
    }
  }
}
