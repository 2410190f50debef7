/// Draws a `Chart` according to its `ChartLayout`: background, title, grid, reference lines, series, axis
/// frame, ticks, labels, legend, in that order (so data sits above the grid and the frame above the data).
struct ChartRenderer {
  let chart: Chart
  let layout: ChartLayout
  var metrics: ChartLayout.Metrics { ChartLayout.Metrics(scale: layout.textScale) }

  func draw(on image: inout RasterImage) {
    let savedClip = image.clip
    defer { image.clip = savedClip }
    let frameClip = savedClip.map { $0.intersection(layout.frame) } ?? layout.frame
    image.clip = frameClip
    image.fillRect(layout.frame, color: chart.background)
    drawTitle(on: &image)
    drawGrid(on: &image)

    image.clip = frameClip.intersection(layout.plotArea)
    for line in chart.referenceLines { drawReferenceLine(line, on: &image) }
    for (index, series) in chart.series.enumerated() {
      SeriesRenderer(series: series, color: color(ofSeries: index), layout: layout).draw(on: &image)
    }
    image.clip = frameClip

    drawAxes(on: &image)
    if chart.legend != .hidden {
      ChartLegend(chart: chart, layout: layout, colors: chart.series.indices.map(color(ofSeries:)))
        .draw(on: &image)
    }
  }

  func color(ofSeries index: Int) -> PlotColor {
    chart.series[index].color ?? chart.palette[index % chart.palette.count]
  }

  private func drawTitle(on image: inout RasterImage) {
    guard !chart.title.isEmpty else { return }
    let plot = layout.plotArea
    image.drawText(
      chart.title, x: plot.x + plot.width / 2, y: layout.frame.y + 2 * metrics.gap, scale: metrics.titleScale,
      color: .ink, horizontal: .center)
  }

  /// Column (row) of a tick's 1-pixel line: the pixel containing the mapped coordinate, kept inside the plot
  /// area so that the range's end ticks do not land on the frame.
  private func tickColumn(_ value: Double) -> Int? {
    layout.pixelX(value).map { min(max(floorToPixel($0), layout.plotArea.x), layout.plotArea.maxX - 1) }
  }

  private func tickRow(_ value: Double) -> Int? {
    layout.pixelY(value).map { min(max(floorToPixel($0), layout.plotArea.y), layout.plotArea.maxY - 1) }
  }

  /// Light lines at the labelled ticks (not at log minor ticks: over several decades those crowd the plot).
  private func drawGrid(on image: inout RasterImage) {
    let plot = layout.plotArea
    if chart.xAxis.showsGrid {
      for tick in layout.xTicks {
        if let c = tickColumn(tick.value) {
          image.fillRect(PixelRect(x: c, y: plot.y, width: 1, height: plot.height), color: .gridGray)
        }
      }
    }
    if chart.yAxis.showsGrid {
      for tick in layout.yTicks {
        if let r = tickRow(tick.value) {
          image.fillRect(PixelRect(x: plot.x, y: r, width: plot.width, height: 1), color: .gridGray)
        }
      }
    }
  }

  private func drawReferenceLine(_ line: ReferenceLine, on image: inout RasterImage) {
    let plot = layout.plotArea
    switch line.orientation {
    case .vertical:
      guard let x = layout.pixelX(line.value) else { return }
      image.drawPolyline(
        [PixelPoint(x: x, y: Double(plot.y)), PixelPoint(x: x, y: Double(plot.maxY))],
        color: line.color, width: line.width, dashPattern: line.dashPattern)
    case .horizontal:
      guard let y = layout.pixelY(line.value) else { return }
      image.drawPolyline(
        [PixelPoint(x: Double(plot.x), y: y), PixelPoint(x: Double(plot.maxX), y: y)],
        color: line.color, width: line.width, dashPattern: line.dashPattern)
    }
  }

  /// The frame around the plot area, outward ticks (plus unlabelled minor ticks on log axes), tick labels and
  /// axis labels.
  private func drawAxes(on image: inout RasterImage) {
    let m = metrics
    let plot = layout.plotArea
    let fw = m.frameWidth
    image.strokeRect(
      PixelRect(x: plot.x - fw, y: plot.y - fw, width: plot.width + 2 * fw, height: plot.height + 2 * fw),
      color: .ink, lineWidth: fw)

    let xMinor = layout.xScale == .log10
      ? AxisTicks.logMinorValues(in: layout.xRange, targetCount: chart.xAxis.targetTickCount) : []
    for v in xMinor {
      if let c = tickColumn(v) {
        image.fillRect(PixelRect(x: c, y: plot.maxY + fw, width: fw, height: m.tickLength / 2), color: .ink)
      }
    }
    let xLabelTop = plot.maxY + fw + m.tickLength + m.gap
    for tick in layout.xTicks {
      guard let c = tickColumn(tick.value) else { continue }
      image.fillRect(PixelRect(x: c, y: plot.maxY + fw, width: fw, height: m.tickLength), color: .ink)
      image.drawText(tick.label, x: c, y: xLabelTop, scale: m.scale, color: .ink, horizontal: .center)
    }

    let yMinor = layout.yScale == .log10
      ? AxisTicks.logMinorValues(in: layout.yRange, targetCount: chart.yAxis.targetTickCount) : []
    for v in yMinor {
      if let r = tickRow(v) {
        image.fillRect(
          PixelRect(x: plot.x - fw - m.tickLength / 2, y: r, width: m.tickLength / 2, height: fw), color: .ink)
      }
    }
    let yLabelRight = plot.x - fw - m.tickLength - m.gap
    for tick in layout.yTicks {
      guard let r = tickRow(tick.value) else { continue }
      image.fillRect(PixelRect(x: plot.x - fw - m.tickLength, y: r, width: m.tickLength, height: fw), color: .ink)
      // Centre the digits (which fill the ascent, not the descent) on the tick.
      image.drawText(
        tick.label, x: yLabelRight, y: r - BitmapFont.ascent * m.scale / 2, scale: m.scale, color: .ink,
        horizontal: .right)
    }

    if !chart.xAxis.label.isEmpty {
      image.drawText(
        chart.xAxis.label, x: plot.x + plot.width / 2, y: xLabelTop + m.fontHeight + 2 * m.gap, scale: m.scale,
        color: .ink, horizontal: .center)
    }
    if !chart.yAxis.label.isEmpty {
      image.drawVerticalText(
        chart.yAxis.label, centerX: layout.frame.x + 2 * m.gap + m.fontHeight / 2, centerY: plot.y + plot.height / 2,
        scale: m.scale, color: .ink)
    }
  }
}
