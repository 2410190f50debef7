/// A 2-D plot: title, two axes (linear or log, either one invertible), grid, any number of series (lines,
/// markers, error bars, bands, histograms), reference lines and a legend, rendered onto a `RasterImage`.
///
/// ```swift
/// var chart = Chart(title: "ZTF21aaaaaaa", xAxis: Axis(label: "JD - 2459000"),
///                   yAxis: Axis(label: "magnitude", inverted: true))
/// chart.series.append(.scatter("g", x: t, y: mag, color: .ztfFilter(fid: 1), yErrors: sigma))
/// chart.series.append(.scatter("g limits", x: tl, y: limmag, marker: .triangleDown, color: .ztfFilter(fid: 1)))
/// try chart.render(width: 800, height: 500).writePNG(to: "lc.png")
/// ```
public struct Chart: Sendable {
  /// Centred above the plot; empty for none.
  public var title: String
  /// The horizontal axis.
  public var xAxis: Axis
  /// The vertical axis.
  public var yAxis: Axis
  /// Drawn in order (later series on top).
  public var series: [ChartSeries]
  /// Lines across the plot area at fixed data values, drawn under the series.
  public var referenceLines: [ReferenceLine]
  /// Where the legend of named series and reference lines goes.
  public var legend: LegendPlacement
  /// Colours for series without their own, by series index (cycled).
  public var palette: [PlotColor]
  /// The integer scale of the bitmap font for tick and axis labels (the title is one step larger); nil picks 1
  /// for panels under 450 px on their shorter side, 2 up to 1349, 3 from 1350, and so on.
  public var textScale: Int?
  /// Colour of the whole chart frame outside and inside the plot area.
  public var background: PlotColor

  /// A chart; add series later or pass them here.
  public init(
    title: String = "", xAxis: Axis = Axis(), yAxis: Axis = Axis(), series: [ChartSeries] = [],
    referenceLines: [ReferenceLine] = [], legend: LegendPlacement = .automatic,
    palette: [PlotColor] = PlotColor.defaultPalette, textScale: Int? = nil, background: PlotColor = .white
  ) {
    self.title = title
    self.xAxis = xAxis
    self.yAxis = yAxis
    self.series = series
    self.referenceLines = referenceLines
    self.legend = legend
    self.palette = palette
    self.textScale = textScale
    self.background = background
  }

  /// Renders the chart onto a new white RGB canvas of `width` x `height` pixels.
  /// - Throws: `PlotError` for mismatched series arrays, an invalid axis range (non-finite, empty, or not
  ///   positive on a log axis) or a canvas too small for the axes and labels.
  public func render(width: Int, height: Int) throws -> RasterImage {
    var image = try RasterImage(width: width, height: height, background: background)
    try draw(on: &image, in: image.bounds)
    return image
  }

  /// Draws the chart into `frame` of an existing canvas (one panel of a multi-panel figure). Nothing outside
  /// `frame` is touched; the canvas's own clip is restored afterwards.
  /// - Throws: As `render(width:height:)`.
  public func draw(on image: inout RasterImage, in frame: PixelRect) throws {
    let layout = try self.layout(in: frame)
    ChartRenderer(chart: self, layout: layout).draw(on: &image)
  }

  /// Where everything goes when the chart is drawn into `frame`: the plot area, the resolved ranges and ticks,
  /// and the data-to-pixel mapping (for tests, and for callers that annotate a rendered chart).
  /// - Throws: As `render(width:height:)`.
  public func layout(in frame: PixelRect) throws -> ChartLayout {
    for (index, s) in series.enumerated() { try s.validate(index: index) }
    for line in referenceLines where !line.value.isFinite {
      throw PlotError.nonFinite(operation: "Chart", message: "reference line at \(line.value)")
    }
    guard !palette.isEmpty else { throw PlotError.invalidArgument(operation: "Chart", message: "empty palette") }
    if let textScale, !(1...16).contains(textScale) {
      throw PlotError.invalidArgument(operation: "Chart", message: "text scale \(textScale) outside 1...16")
    }
    return try ChartLayout(chart: self, frame: frame)
  }
}
