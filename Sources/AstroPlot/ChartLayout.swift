import Foundation

/// The geometry of a chart drawn into a frame: plot area, resolved axis ranges, ticks, text sizes, and the
/// mapping from data values to canvas coordinates.
public struct ChartLayout: Sendable {
  /// The rectangle the whole chart occupies.
  public let frame: PixelRect
  /// The data region inside the axes (the axis frame is drawn just outside it).
  public let plotArea: PixelRect
  /// The visible x range (explicit, or fitted to the data).
  public let xRange: ClosedRange<Double>
  /// The visible y range (explicit, or fitted to the data).
  public let yRange: ClosedRange<Double>
  /// Scale of the x axis.
  public let xScale: AxisScale
  /// Scale of the y axis.
  public let yScale: AxisScale
  /// Whether x grows to the left.
  public let xInverted: Bool
  /// Whether y grows downwards (magnitudes).
  public let yInverted: Bool
  /// Labelled ticks on each axis, inside the range.
  public let xTicks: [AxisTick]
  /// Labelled ticks on the y axis, inside the range.
  public let yTicks: [AxisTick]
  /// The font scale for labels (the title uses `textScale + 1`).
  public let textScale: Int

  /// The canvas x coordinate of data value `x`, or nil when it cannot be shown (NaN, or <= 0 on a log axis).
  /// Values outside the range map outside the plot area.
  public func pixelX(_ x: Double) -> Double? {
    guard let f = Self.fraction(x, in: xRange, scale: xScale) else { return nil }
    let w = Double(plotArea.width)
    return xInverted ? Double(plotArea.maxX) - f * w : Double(plotArea.x) + f * w
  }

  /// The canvas y coordinate of data value `y` (larger values higher up unless the axis is inverted), or nil.
  public func pixelY(_ y: Double) -> Double? {
    guard let f = Self.fraction(y, in: yRange, scale: yScale) else { return nil }
    let h = Double(plotArea.height)
    return yInverted ? Double(plotArea.y) + f * h : Double(plotArea.maxY) - f * h
  }

  /// The canvas point of data (`x`, `y`), or nil when either coordinate cannot be shown.
  public func point(x: Double, y: Double) -> PixelPoint? {
    guard let px = pixelX(x), let py = pixelY(y) else { return nil }
    return PixelPoint(x: px, y: py)
  }

  /// Position of `value` along `range` as a fraction (0 at the lower bound, 1 at the upper), in log space on a
  /// log axis.
  static func fraction(_ value: Double, in range: ClosedRange<Double>, scale: AxisScale) -> Double? {
    guard value.isFinite else { return nil }
    switch scale {
    case .linear:
      return (value - range.lowerBound) / (range.upperBound - range.lowerBound)
    case .log10:
      guard value > 0 else { return nil }
      let lo = log10(range.lowerBound), hi = log10(range.upperBound)
      return (log10(value) - lo) / (hi - lo)
    }
  }

  // MARK: - Computing the layout

  /// Lengths derived from the text scale, shared by the layout and the renderer.
  struct Metrics {
    let scale: Int
    var titleScale: Int { scale + 1 }
    var gap: Int { 3 * scale }
    var tickLength: Int { 3 * scale }
    var frameWidth: Int { scale >= 3 ? 2 : 1 }
    var fontHeight: Int { BitmapFont.height(scale: scale) }
  }

  init(chart: Chart, frame: PixelRect) throws {
    guard !frame.isEmpty else {
      throw PlotError.invalidArgument(operation: "Chart", message: "empty frame \(frame)")
    }
    self.frame = frame
    xScale = chart.xAxis.scale
    yScale = chart.yAxis.scale
    xInverted = chart.xAxis.inverted
    yInverted = chart.yAxis.inverted
    let (xValues, yValues) = Self.dataExtents(chart.series)
    xRange = try Self.resolveRange(chart.xAxis, data: xValues, name: "x axis")
    yRange = try Self.resolveRange(chart.yAxis, data: yValues, name: "y axis")
    textScale = chart.textScale ?? Self.automaticTextScale(for: frame)
    let m = Metrics(scale: textScale)

    yTicks = AxisTicks.ticks(in: yRange, scale: yScale, targetCount: chart.yAxis.targetTickCount)
    let yLabelWidth = yTicks.map { BitmapFont.width(of: $0.label, scale: m.scale) }.max() ?? 0
    let initialXTicks = AxisTicks.ticks(in: xRange, scale: xScale, targetCount: chart.xAxis.targetTickCount)
    let widestX = initialXTicks.map { BitmapFont.width(of: $0.label, scale: m.scale) }.max() ?? 0

    let titleHeight = chart.title.isEmpty ? 0 : BitmapFont.height(of: chart.title, scale: m.titleScale) + m.gap
    let top = 2 * m.gap + titleHeight + m.fontHeight / 2  // half a line so the top y label is not cut off
    let left = 2 * m.gap + (chart.yAxis.label.isEmpty ? 0 : m.fontHeight + 2 * m.gap) + yLabelWidth + m.gap
      + m.tickLength + m.frameWidth
    let bottom = m.frameWidth + m.tickLength + m.gap + m.fontHeight
      + (chart.xAxis.label.isEmpty ? 0 : 2 * m.gap + m.fontHeight) + 2 * m.gap
    let right = max(4 * m.gap, widestX / 2 + 2 * m.gap)  // room for the last x label, centred on the edge
    let area = PixelRect(
      x: frame.x + left, y: frame.y + top, width: frame.width - left - right, height: frame.height - top - bottom)
    guard area.width >= 10 * m.scale, area.height >= 10 * m.scale else {
      throw PlotError.invalidArgument(
        operation: "Chart",
        message: "frame \(frame.width)x\(frame.height) too small for axes and labels at text scale \(m.scale)")
    }
    plotArea = area

    // Fewer x ticks until neighbouring labels are at least two characters apart.
    var chosen = initialXTicks
    var target = chart.xAxis.targetTickCount
    let (resolvedX, scaleX) = (xRange, xScale)  // locals: closures may not capture a half-initialised self
    while target > 2 {
      let centres = chosen.compactMap { tick in
        Self.fraction(tick.value, in: resolvedX, scale: scaleX).map { Double(area.width) * $0 }
      }
      let widths = chosen.map { Double(BitmapFont.width(of: $0.label, scale: m.scale)) }
      let minimumGap = Double(2 * BitmapFont.advance * m.scale)
      let collides = centres.count > 1 && (1..<centres.count).contains { i in
        abs(centres[i] - centres[i - 1]) < (widths[i] + widths[i - 1]) / 2 + minimumGap
      }
      if !collides { break }
      target -= 1
      chosen = AxisTicks.ticks(in: resolvedX, scale: scaleX, targetCount: target)
    }
    xTicks = chosen
  }

  /// 1 below 450 px on the shorter side (5x7 glyphs stay legible on small panels), then one step per 450 px.
  static func automaticTextScale(for frame: PixelRect) -> Int {
    let side = min(frame.width, frame.height)
    return side < 450 ? 1 : max(2, side / 450)
  }

  /// Every finite coordinate a chart's series can draw: points, error-bar ends and band edges.
  static func dataExtents(_ series: [ChartSeries]) -> (x: [Double], y: [Double]) {
    var xs: [Double] = [], ys: [Double] = []
    for s in series {
      xs.append(contentsOf: s.x)
      ys.append(contentsOf: s.y)
      if let errors = s.yErrors {
        for (y, e) in zip(s.y, errors) where e.isFinite && e > 0 {
          ys.append(y - e)
          ys.append(y + e)
        }
      }
      if let band = s.band {
        ys.append(contentsOf: band.lower)
        ys.append(contentsOf: band.upper)
      }
    }
    return (xs.filter(\.isFinite), ys.filter(\.isFinite))
  }

  /// The axis's explicit range after validation, or the data's extent padded by `axis.padding` (in log space on
  /// a log axis, where non-positive values are ignored). No data gives [0, 1] (linear) or [1, 10] (log); a
  /// single value gets a window around it.
  static func resolveRange(_ axis: Axis, data: [Double], name: String) throws -> ClosedRange<Double> {
    guard axis.targetTickCount >= 2, axis.padding >= 0, axis.padding.isFinite else {
      throw PlotError.invalidArgument(
        operation: "Chart", message: "\(name): tick count \(axis.targetTickCount) < 2 or bad padding \(axis.padding)")
    }
    if let range = axis.range {
      guard range.lowerBound.isFinite, range.upperBound.isFinite else {
        throw PlotError.nonFinite(operation: "Chart", message: "\(name): range \(range) must be finite")
      }
      guard range.lowerBound < range.upperBound else {
        throw PlotError.invalidArgument(operation: "Chart", message: "\(name): empty range \(range)")
      }
      if axis.scale == .log10 && range.lowerBound <= 0 {
        throw PlotError.invalidArgument(operation: "Chart", message: "\(name): log axis range \(range) must be > 0")
      }
      return range
    }
    switch axis.scale {
    case .linear:
      guard var lo = data.min(), var hi = data.max() else { return 0...1 }
      if lo == hi {
        let half = max(abs(lo) * 0.05, 0.5)
        lo -= half; hi += half
      } else {
        let pad = (hi - lo) * axis.padding
        lo -= pad; hi += pad
      }
      return lo...hi
    case .log10:
      let positive = data.filter { $0 > 0 }
      guard let minimum = positive.min(), let maximum = positive.max() else { return 1...10 }
      var lo = log10(minimum), hi = log10(maximum)
      if lo == hi {
        lo -= 0.5; hi += 0.5
      } else {
        let pad = (hi - lo) * axis.padding
        lo -= pad; hi += pad
      }
      return pow(10, lo)...pow(10, hi)
    }
  }
}
