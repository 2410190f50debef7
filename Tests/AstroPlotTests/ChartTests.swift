import AstroPlot
import Foundation
import XCTest

final class ChartTests: XCTestCase {
  private let blue = PlotColor.defaultPalette[0]

  /// y = x on [0, 10] x [0, 10], no legend, 400 x 300 (text scale 1).
  private func diagonalChart() -> Chart {
    Chart(
      title: "diagonal", xAxis: Axis(label: "x", range: 0...10), yAxis: Axis(label: "y", range: 0...10),
      series: [.line("y = x", x: [0, 10], y: [0, 10], width: 2)], legend: .hidden)
  }

  func testRenderedChartHasBackgroundAxesAndLineWhereExpected() throws {
    let chart = diagonalChart()
    let image = try chart.render(width: 400, height: 300)
    let layout = try chart.layout(in: image.bounds)
    let plot = layout.plotArea
    XCTAssertEqual(image.width, 400)
    XCTAssertEqual(image.height, 300)
    XCTAssertEqual(image.pixel(x: 1, y: 1), .white, "background")
    XCTAssertEqual(image.pixel(x: 398, y: 150), .white, "right margin")
    // The axis frame sits just outside the plot area.
    XCTAssertTrue(isDark(image.pixel(x: plot.x - 1, y: plot.y + plot.height / 2)), "left axis")
    XCTAssertTrue(isDark(image.pixel(x: plot.x + plot.width / 2, y: plot.maxY)), "bottom axis")
    // The line passes through the centre of the plot area (data (5, 5)) in the series colour.
    let centre = try XCTUnwrap(layout.point(x: 5, y: 5))
    XCTAssertEqual(centre.x, Double(plot.x) + Double(plot.width) / 2, accuracy: 1e-9)
    XCTAssertEqual(centre.y, Double(plot.y) + Double(plot.height) / 2, accuracy: 1e-9)
    XCTAssertTrue(close(image.pixel(x: Int(centre.x), y: Int(centre.y)), blue, tolerance: 40))
    // ... and not through data (2, 8), which is empty plot area (white or grid grey).
    let empty = try XCTUnwrap(layout.point(x: 2, y: 8))
    let there = try XCTUnwrap(image.pixel(x: Int(empty.x) + 2, y: Int(empty.y) + 2))
    XCTAssertGreaterThan(there.red, 200)
    // Ticks on x at 0, 2, ..., 10, each with a dark tick mark below the frame and a label under it.
    XCTAssertEqual(layout.xTicks.map(\.value), [0, 2, 4, 6, 8, 10])
    let tickColumn = Int(try XCTUnwrap(layout.pixelX(4)))
    XCTAssertTrue(isDark(image.pixel(x: tickColumn, y: plot.maxY + 2)), "tick mark at x = 4")
    XCTAssertGreaterThan(image.inkPixels(in: PixelRect(x: tickColumn - 6, y: plot.maxY + 5, width: 12, height: 12)), 3)
    // The title is centred above the plot.
    XCTAssertGreaterThan(image.inkPixels(in: PixelRect(x: plot.x, y: 0, width: plot.width, height: plot.y)), 20)
  }

  func testInvertedAxisPutsSmallValuesAtTheTop() throws {
    let chart = Chart(yAxis: Axis(label: "mag", range: 15...20, inverted: true))
    let layout = try chart.layout(in: PixelRect(x: 0, y: 0, width: 400, height: 300))
    XCTAssertEqual(layout.pixelY(15), Double(layout.plotArea.y))
    XCTAssertEqual(layout.pixelY(20), Double(layout.plotArea.maxY))
    let normal = try Chart(yAxis: Axis(range: 15...20)).layout(in: PixelRect(x: 0, y: 0, width: 400, height: 300))
    XCTAssertEqual(normal.pixelY(15), Double(normal.plotArea.maxY))
  }

  func testLogAxisMapsDecadesEvenlyAndHidesNonPositiveValues() throws {
    let chart = Chart(yAxis: Axis(scale: .log10, range: 1e-3...10))
    let layout = try chart.layout(in: PixelRect(x: 0, y: 0, width: 400, height: 300))
    let plot = layout.plotArea
    // 0.1 is two of four decades up.
    XCTAssertEqual(try XCTUnwrap(layout.pixelY(0.1)), Double(plot.maxY) - 0.5 * Double(plot.height), accuracy: 1e-9)
    XCTAssertNil(layout.pixelY(0))
    XCTAssertNil(layout.pixelY(-1))
    XCTAssertEqual(layout.yTicks.map(\.label), ["0.001", "0.01", "0.1", "1", "10"])
    // Zero rates (FNR = 0 at a low threshold) are gaps, not errors.
    let withZeros = Chart(yAxis: Axis(scale: .log10), series: [.line(x: [0, 1, 2, 3], y: [0, 0.1, 0.01, 0])])
    XCTAssertNoThrow(try withZeros.render(width: 300, height: 200))
  }

  func testAutomaticRangesPadTheData() throws {
    let chart = Chart(series: [.scatter(x: [0, 10], y: [1e-3, 10])], legend: .hidden)
    var log = chart
    log.yAxis.scale = .log10
    let linear = try chart.layout(in: PixelRect(x: 0, y: 0, width: 400, height: 300))
    XCTAssertEqual(linear.xRange.lowerBound, -0.5, accuracy: 1e-12)
    XCTAssertEqual(linear.xRange.upperBound, 10.5, accuracy: 1e-12)
    let logLayout = try log.layout(in: PixelRect(x: 0, y: 0, width: 400, height: 300))
    // log10 span -3...1 padded by 5% of 4 decades on each side.
    XCTAssertEqual(log10(logLayout.yRange.lowerBound), -3.2, accuracy: 1e-12)
    XCTAssertEqual(log10(logLayout.yRange.upperBound), 1.2, accuracy: 1e-12)
    // A single magnitude gets a window of +-5% around it; error bars widen the range.
    let single = try Chart(series: [.scatter(x: [1], y: [18.5])]).layout(in: PixelRect(x: 0, y: 0, width: 400, height: 300))
    XCTAssertEqual(single.yRange.lowerBound, 18.5 - 0.925, accuracy: 1e-9)
    let errors = try Chart(series: [.scatter(x: [0, 1], y: [1, 2], yErrors: [0.5, 1])])
      .layout(in: PixelRect(x: 0, y: 0, width: 400, height: 300))
    XCTAssertEqual(errors.yRange.upperBound, 3 + 0.125, accuracy: 1e-12)  // data 0.5...3, padded by 5% of 2.5
  }

  func testNaNPointsAreGapsNotCrashes() throws {
    let chart = Chart(series: [.line(x: [0, 1, .nan, 3, 4], y: [1, .infinity, 2, 3, .nan])])
    let image = try chart.render(width: 300, height: 200)
    XCTAssertGreaterThan(image.inkPixels(in: image.bounds), 100)
  }

  func testAutomaticLegendAvoidsTheData() throws {
    // Data only in the top-right corner: the legend goes to the top left.
    let chart = Chart(
      xAxis: Axis(range: 0...10), yAxis: Axis(range: 0...10),
      series: [.scatter("crowd", x: [8, 8.5, 9, 9.5, 9.8], y: [9.5, 9, 8.5, 9.8, 9.2])])
    let image = try chart.render(width: 400, height: 300)
    let plot = try chart.layout(in: image.bounds).plotArea
    let legendBorder = PlotColor(hex: 0xaaaaaa)
    func borderPixels(_ rect: PixelRect) -> Int {
      var n = 0
      for y in rect.y..<rect.maxY { for x in rect.x..<rect.maxX where image.pixel(x: x, y: y) == legendBorder { n += 1 } }
      return n
    }
    let half = plot.width / 2, top = plot.height / 2
    XCTAssertGreaterThan(borderPixels(PixelRect(x: plot.x, y: plot.y, width: half, height: top)), 20)
    XCTAssertEqual(borderPixels(PixelRect(x: plot.x + half, y: plot.y, width: half, height: top)), 0)
  }

  func testBadInputThrowsClearErrors() throws {
    func expect(_ chart: Chart, width: Int = 400, height: Int = 300, _ check: (PlotError) -> Bool) {
      XCTAssertThrowsError(try chart.render(width: width, height: height)) { error in
        guard let plotError = error as? PlotError, check(plotError) else { return XCTFail("unexpected \(error)") }
        XCTAssertFalse(plotError.description.isEmpty)
      }
    }
    expect(Chart(series: [.line(x: [1, 2, 3], y: [1, 2])])) { if case .lengthMismatch = $0 { true } else { false } }
    expect(Chart(series: [.scatter(x: [1, 2], y: [1, 2], yErrors: [1])])) {
      if case .lengthMismatch = $0 { true } else { false }
    }
    expect(Chart(yAxis: Axis(scale: .log10, range: 0...1))) { if case .invalidArgument = $0 { true } else { false } }
    expect(Chart(xAxis: Axis(range: 1...1))) { if case .invalidArgument = $0 { true } else { false } }
    expect(Chart(xAxis: Axis(range: 0...Double.infinity))) { if case .nonFinite = $0 { true } else { false } }
    expect(Chart(title: "t", xAxis: Axis(label: "x"), yAxis: Axis(label: "y")), width: 60, height: 40) {
      if case .invalidArgument = $0 { true } else { false }
    }
    XCTAssertThrowsError(try ChartSeries.histogram(binEdges: [0, 1], counts: [1, 2]))
    XCTAssertThrowsError(try ChartSeries.histogram(binEdges: [0], counts: []))
    XCTAssertThrowsError(try Chart.renderPanels([], columns: 1, panelWidth: 100, panelHeight: 100))
  }

  func testPanelsAreLaidOutSideBySide() throws {
    let image = try Chart.renderPanels(
      [diagonalChart(), diagonalChart(), diagonalChart()], columns: 2, panelWidth: 300, panelHeight: 200)
    XCTAssertEqual(image.width, 600)
    XCTAssertEqual(image.height, 400)
    // The third panel (second row, left) has its own axes.
    XCTAssertGreaterThan(image.inkPixels(in: PixelRect(x: 0, y: 200, width: 300, height: 200)), 500)
    XCTAssertEqual(image.inkPixels(in: PixelRect(x: 300, y: 200, width: 300, height: 200)), 0)
  }
}
