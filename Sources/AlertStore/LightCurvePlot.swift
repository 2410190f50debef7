import AstroPlot
import Foundation

/// A light-curve figure as alert brokers draw it: magnitude (bright up) against Julian date, one colour per ZTF
/// filter (g green, r red, i gold), detections as dots with 1-sigma error bars, upper limits as downward triangles
/// at the limiting magnitude.
///
///     let points = try store.lightCurve(objectId: "ZTF20aajcdad")
///     try LightCurvePlot(objectId: "ZTF20aajcdad", points: points).writePNG(to: "lc.png")
public struct LightCurvePlot: Sendable {
  public var objectId: String
  public var points: [LightCurvePoint]
  /// Canvas size in pixels.
  public var width = 900
  public var height = 560

  public init(objectId: String, points: [LightCurvePoint]) {
    self.objectId = objectId
    self.points = points
  }

  /// Whole thousands of days subtracted from jd on the x axis, so tick labels stay short (JD - 2458000).
  public var jdOffset: Double {
    guard let first = points.map(\.jd).min() else { return 0 }
    return (first / 1000).rounded(.down) * 1000
  }

  /// The chart: per filter present, a detections series and an upper-limits series (when it has points).
  /// Throws `AlertStoreError` when there is nothing to plot.
  public func chart() throws -> Chart {
    let plotted = points.filter { ($0.magpsf ?? $0.diffmaglim)?.isFinite ?? false }
    guard !plotted.isEmpty else {
      throw AlertStoreError(source: objectId, reason: "no detections or upper limits to plot")
    }
    let offset = jdOffset
    var chart = Chart(
      title: "\(objectId): \(plotted.filter(\.isDetection).count) detections, "
        + "\(plotted.filter { !$0.isDetection }.count) upper limits",
      xAxis: Axis(label: "JD - \(Int(offset))"), yAxis: Axis(label: "magnitude (AB)", inverted: true))
    for fid in Set(plotted.map(\.fid)).sorted() {
      let color = PlotColor.ztfFilter(fid: fid)
      let name = LightCurvePoint.filterName(fid)
      let detections = plotted.filter { $0.fid == fid && $0.isDetection }
      if !detections.isEmpty {
        chart.series.append(
          .scatter(
            name, x: detections.map { $0.jd - offset }, y: detections.map { $0.magpsf! }, marker: .circle, size: 8,
            color: color, yErrors: detections.map { $0.sigmapsf ?? .nan }))
      }
      let limits = plotted.filter { $0.fid == fid && !$0.isDetection }
      if !limits.isEmpty {
        chart.series.append(
          .scatter(
            "\(name) upper limit", x: limits.map { $0.jd - offset }, y: limits.map { $0.diffmaglim! },
            marker: .triangleDown, size: 8, color: color.withOpacity(0.45)))
      }
    }
    return chart
  }

  /// The figure as an RGB image.
  public func render() throws -> RasterImage {
    try chart().render(width: width, height: height)
  }

  /// The image as PNG bytes (what an HTTP response carries).
  public func png() throws -> Data {
    try render().pngData()
  }

  /// Writes the figure as a PNG file (atomically: a reader never sees half a file).
  public func writePNG(to path: String) throws {
    try render().writePNG(to: path)
  }
}
