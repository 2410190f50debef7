/// How data values are placed along an axis.
public enum AxisScale: String, Sendable, Codable {
  /// Equal distances for equal differences.
  case linear
  /// Equal distances for equal ratios (base 10); only positive values can be shown, others are left out.
  case log10
}

/// One axis of a `Chart`: its label, scale, range and ticks.
public struct Axis: Sendable {
  /// Text under the x axis or, rotated, left of the y axis. Empty for none.
  public var label: String
  /// Linear or logarithmic.
  public var scale: AxisScale
  /// The visible data range; nil to fit the data (plus `padding`). Must be finite, increasing, and positive on
  /// a log axis.
  public var range: ClosedRange<Double>?
  /// When true, values increase towards the bottom (y) or the left (x): astronomical magnitudes, where
  /// brighter (smaller) values belong at the top.
  public var inverted: Bool
  /// Roughly how many labelled ticks to aim for; the x axis uses fewer when labels would collide.
  public var targetTickCount: Int
  /// Whether light grid lines are drawn at the ticks.
  public var showsGrid: Bool
  /// For an automatic range: the fraction of the data span added on each side (in log space on a log axis),
  /// so that points do not sit on the frame.
  public var padding: Double

  /// An axis; every setting has a default (linear, automatic range, six ticks, grid, 5% padding).
  public init(
    label: String = "", scale: AxisScale = .linear, range: ClosedRange<Double>? = nil, inverted: Bool = false,
    targetTickCount: Int = 6, showsGrid: Bool = true, padding: Double = 0.05
  ) {
    self.label = label
    self.scale = scale
    self.range = range
    self.inverted = inverted
    self.targetTickCount = targetTickCount
    self.showsGrid = showsGrid
    self.padding = padding
  }
}

/// Where a chart's legend box goes, inside the plot area.
public enum LegendPlacement: String, Sendable, Codable {
  /// The corner that covers the fewest data points (as matplotlib's "best"); ties prefer top right, top left,
  /// bottom left, bottom right, in that order.
  case automatic
  case topRight, topLeft, bottomRight, bottomLeft
  /// No legend even if series have names.
  case hidden
}

/// A horizontal or vertical line across the whole plot area at a data value (a decision threshold, a target
/// rate, a reference magnitude), optionally with a label in the legend.
public struct ReferenceLine: Sendable {
  /// Whether the line is at a constant x or a constant y.
  public enum Orientation: Sendable {
    /// A line at constant x.
    case vertical
    /// A line at constant y.
    case horizontal
  }

  /// Vertical (constant x) or horizontal (constant y).
  public var orientation: Orientation
  /// The data value the line marks.
  public var value: Double
  /// Line colour.
  public var color: PlotColor
  /// Line width in pixels.
  public var width: Double
  /// On/off lengths in pixels; empty for solid.
  public var dashPattern: [Double]
  /// Legend text; nil to leave the line out of the legend.
  public var name: String?

  /// A reference line; dashed mid-grey by default.
  public init(
    _ orientation: Orientation, at value: Double, color: PlotColor = .midGray, width: Double = 1.5,
    dashPattern: [Double] = [6, 4], name: String? = nil
  ) {
    self.orientation = orientation
    self.value = value
    self.color = color
    self.width = width
    self.dashPattern = dashPattern
    self.name = name
  }
}
