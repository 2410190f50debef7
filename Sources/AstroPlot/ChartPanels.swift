/// Multi-panel figures: several charts side by side or in a grid, on one canvas.
extension Chart {
  /// Renders `charts` row by row into a grid of `columns` panels, each `panelWidth` x `panelHeight`, under an
  /// optional figure title (e.g. the full ROC curve next to its zoomed-in corner).
  /// - Throws: `PlotError.invalidArgument` for no charts or `columns < 1`; any chart's own errors.
  public static func renderPanels(
    _ charts: [Chart], columns: Int, panelWidth: Int, panelHeight: Int, title: String = "", textScale: Int? = nil,
    background: PlotColor = .white
  ) throws -> RasterImage {
    guard !charts.isEmpty else { throw PlotError.invalidArgument(operation: "Chart.renderPanels", message: "no charts") }
    guard columns >= 1 else {
      throw PlotError.invalidArgument(operation: "Chart.renderPanels", message: "columns \(columns) < 1")
    }
    try RasterImage.validate(width: panelWidth, height: panelHeight, operation: "Chart.renderPanels")
    let usedColumns = min(columns, charts.count)
    let rows = (charts.count + columns - 1) / columns
    let scale = textScale ?? ChartLayout.automaticTextScale(for: PixelRect(x: 0, y: 0, width: panelWidth, height: panelHeight))
    let titleScale = scale + 1
    let titleHeight = title.isEmpty ? 0 : BitmapFont.height(of: title, scale: titleScale) + 6 * scale
    var image = try RasterImage(
      width: usedColumns * panelWidth, height: titleHeight + rows * panelHeight, background: background)
    if !title.isEmpty {
      image.drawText(title, x: image.width / 2, y: 3 * scale, scale: titleScale, color: .ink, horizontal: .center)
    }
    for (index, chart) in charts.enumerated() {
      var panel = chart
      if panel.textScale == nil { panel.textScale = scale }
      let frame = PixelRect(
        x: (index % columns) * panelWidth, y: titleHeight + (index / columns) * panelHeight,
        width: panelWidth, height: panelHeight)
      try panel.draw(on: &image, in: frame)
    }
    return image
  }
}
