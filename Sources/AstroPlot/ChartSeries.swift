/// One data set on a `Chart`: any combination of a line, markers, vertical error bars and a filled band.
///
/// Points with a NaN or infinite coordinate (or a non-positive one on a log axis) are gaps: lines break there
/// and no marker is drawn, as in matplotlib. Coordinates are `Double` because times such as Julian dates
/// (2458000.5) need more digits than `Float` has.
public struct ChartSeries: Sendable {
  /// The legend text; nil or empty to leave the series out of the legend.
  public var name: String?
  /// Horizontal data coordinates.
  public var x: [Double]
  /// Vertical data coordinates, one per x.
  public var y: [Double]
  /// nil: the chart's palette colour for this series' position.
  public var color: PlotColor?
  /// Line width in pixels; nil for no connecting line.
  public var lineWidth: Double?
  /// Dash on/off lengths in pixels for the line; empty for solid.
  public var dashPattern: [Double]
  /// Draw the line as steps (horizontal to the next x, then vertical), as a histogram outline.
  public var steps: Bool
  /// Marker drawn at each point; nil for none.
  public var marker: MarkerShape?
  /// Marker size in pixels (across).
  public var markerSize: Double
  /// Outline of filled markers; nil for none.
  public var markerEdgeColor: PlotColor?
  /// Symmetric 1-sigma errors on y, one per point (NaN or <= 0: no bar for that point).
  public var yErrors: [Double]?
  /// Lower and upper edges of a filled band, one pair per x; filled at `bandOpacity`.
  public var band: (lower: [Double], upper: [Double])?
  /// Opacity of the band fill, in [0, 1].
  public var bandOpacity: Double

  /// A series from all its parts; the static constructors below cover the usual cases.
  public init(
    name: String? = nil, x: [Double], y: [Double], color: PlotColor? = nil, lineWidth: Double? = 2,
    dashPattern: [Double] = [], steps: Bool = false, marker: MarkerShape? = nil, markerSize: Double = 8,
    markerEdgeColor: PlotColor? = nil, yErrors: [Double]? = nil,
    band: (lower: [Double], upper: [Double])? = nil, bandOpacity: Double = 0.25
  ) {
    self.name = name
    self.x = x
    self.y = y
    self.color = color
    self.lineWidth = lineWidth
    self.dashPattern = dashPattern
    self.steps = steps
    self.marker = marker
    self.markerSize = markerSize
    self.markerEdgeColor = markerEdgeColor
    self.yErrors = yErrors
    self.band = band
    self.bandOpacity = bandOpacity
  }

  /// A connected line through the points.
  public static func line(
    _ name: String? = nil, x: [Double], y: [Double], color: PlotColor? = nil, width: Double = 2,
    dashPattern: [Double] = []
  ) -> ChartSeries {
    ChartSeries(name: name, x: x, y: y, color: color, lineWidth: width, dashPattern: dashPattern)
  }

  /// Unconnected markers, optionally with symmetric y error bars (a light curve's detections; upper limits are
  /// a second scatter series with `.triangleDown` markers and no errors).
  public static func scatter(
    _ name: String? = nil, x: [Double], y: [Double], marker: MarkerShape = .circle, size: Double = 8,
    color: PlotColor? = nil, edgeColor: PlotColor? = nil, yErrors: [Double]? = nil
  ) -> ChartSeries {
    ChartSeries(
      name: name, x: x, y: y, color: color, lineWidth: nil, marker: marker, markerSize: size,
      markerEdgeColor: edgeColor, yErrors: yErrors)
  }

  /// A histogram drawn as a step outline over a translucent fill down to zero.
  /// - Parameters:
  ///   - name: The legend label; nil for none.
  ///   - binEdges: `counts.count + 1` increasing edges.
  ///   - counts: The height of each bin (counts, or densities).
  ///   - color: The outline and fill colour; nil takes the chart's palette colour for the series' position.
  ///   - lineWidth: The outline's width in pixels.
  ///   - fillOpacity: The fill's opacity, 0 (none) to 1.
  /// - Throws: `PlotError.lengthMismatch` when the edge count is not `counts.count + 1`,
  ///   `PlotError.invalidArgument` for no bins.
  public static func histogram(
    _ name: String? = nil, binEdges: [Double], counts: [Double], color: PlotColor? = nil, lineWidth: Double = 2,
    fillOpacity: Double = 0.25
  ) throws -> ChartSeries {
    guard !counts.isEmpty else {
      throw PlotError.invalidArgument(operation: "ChartSeries.histogram", message: "no bins")
    }
    guard binEdges.count == counts.count + 1 else {
      throw PlotError.lengthMismatch(
        operation: "ChartSeries.histogram", message: "\(binEdges.count) edges for \(counts.count) bins (need bins + 1)")
    }
    // Steps through (edge_i, count_i) and a final point repeating the last count at the right edge.
    let heights = counts + [counts[counts.count - 1]]
    return ChartSeries(
      name: name, x: binEdges, y: heights, color: color, lineWidth: lineWidth, steps: true,
      band: (lower: [Double](repeating: 0, count: heights.count), upper: heights), bandOpacity: fillOpacity)
  }

  /// Checks that every per-point array matches `x`.
  func validate(index: Int) throws {
    let label = name.map { "series \(index) (\"\($0)\")" } ?? "series \(index)"
    guard x.count == y.count else {
      throw PlotError.lengthMismatch(operation: "Chart", message: "\(label): \(x.count) x values but \(y.count) y values")
    }
    if let yErrors, yErrors.count != x.count {
      throw PlotError.lengthMismatch(operation: "Chart", message: "\(label): \(yErrors.count) y errors for \(x.count) points")
    }
    if let band, band.lower.count != x.count || band.upper.count != x.count {
      throw PlotError.lengthMismatch(
        operation: "Chart", message: "\(label): band of \(band.lower.count)/\(band.upper.count) values for \(x.count) points")
    }
    if let lineWidth, !(lineWidth > 0 && lineWidth.isFinite) {
      throw PlotError.invalidArgument(operation: "Chart", message: "\(label): line width \(lineWidth) must be > 0")
    }
    guard markerSize > 0, markerSize.isFinite else {
      throw PlotError.invalidArgument(operation: "Chart", message: "\(label): marker size \(markerSize) must be > 0")
    }
  }
}
