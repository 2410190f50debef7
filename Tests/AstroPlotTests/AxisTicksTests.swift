import AstroPlot
import Foundation
import XCTest

final class AxisTicksTests: XCTestCase {
  func testUnitRangeGivesTenthsInStepsOfTwo() {
    let ticks = AxisTicks.ticks(in: 0...1, scale: .linear, targetCount: 6)
    XCTAssertEqual(ticks.map(\.value), [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    XCTAssertEqual(ticks.map(\.label), ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
  }

  func testJulianDateRangeGivesWholeDaysInFives() {
    // span 29.7 over 6 ticks: step 5 (6 ticks) beats step 10 (3 ticks).
    let ticks = AxisTicks.ticks(in: 2458000.5...2458030.2, scale: .linear, targetCount: 6)
    XCTAssertEqual(ticks.map(\.value), [2458005, 2458010, 2458015, 2458020, 2458025, 2458030])
    XCTAssertEqual(ticks.first?.label, "2458005")
    XCTAssertEqual(ticks.last?.label, "2458030")
  }

  func testNegativeAndSmallRanges() {
    let ticks = AxisTicks.ticks(in: -1.2...0.35, scale: .linear, targetCount: 5)
    // span 1.55 / 4 = 0.39: step 0.5 gives 4 ticks (-1, -0.5, 0, nearest to 5 vs 0.2's 8).
    XCTAssertEqual(ticks.map(\.value), [-1, -0.5, 0])
    XCTAssertEqual(ticks.map(\.label), ["-1.0", "-0.5", "0"])
    XCTAssertEqual(AxisTicks.linearValues(in: 0.001...0.005, targetCount: 5), [0.001, 0.002, 0.003, 0.004, 0.005])
  }

  func testNiceStepsAreOneTwoOrFiveTimesAPowerOfTen() {
    for span in [0.37, 1, 3.6, 29.7, 144, 1e6] {
      let step = AxisTicks.niceStep(span: span, targetCount: 6)
      let mantissa = step / pow(10, log10(step).rounded(.down))
      XCTAssertTrue([1, 2, 5].contains { abs(mantissa - $0) < 1e-9 }, "span \(span): step \(step)")
    }
  }

  func testLogTicksArePowersOfTen() {
    let ticks = AxisTicks.ticks(in: 1e-4...1, scale: .log10, targetCount: 6)
    XCTAssertEqual(ticks.map(\.label), ["0.0001", "0.001", "0.01", "0.1", "1"])
    for tick in ticks {
      let exponent = log10(tick.value)
      XCTAssertEqual(exponent, exponent.rounded(), accuracy: 1e-12)
    }
    // Many decades: every third one, labels switching to scientific outside 1e-4...1e4.
    let wide = AxisTicks.ticks(in: 1e-9...1e3, scale: .log10, targetCount: 6)
    XCTAssertEqual(wide.map(\.label), ["1e-9", "1e-6", "0.001", "1", "1000"])
  }

  func testNarrowLogRangesFallBackToOneTwoFive() {
    XCTAssertEqual(AxisTicks.logValues(in: 2...30), [2, 5, 10, 20])
    XCTAssertEqual(AxisTicks.ticks(in: 2...30, scale: .log10).map(\.label), ["2", "5", "10", "20"])
    // No 1-2-5 value but one: plain linear ticks.
    XCTAssertEqual(AxisTicks.ticks(in: 0.5...0.7, scale: .log10).map(\.label), ["0.5", "0.55", "0.6", "0.65", "0.7"])
    XCTAssertEqual(AxisTicks.logMinorValues(in: 1...100).count, 16)  // 2..9 and 20..90
  }

  func testLabelFormatting() {
    XCTAssertEqual(AxisTicks.format(0.25, step: 0.05), "0.25")
    XCTAssertEqual(AxisTicks.format(-0.0, step: 0.1), "0")
    XCTAssertEqual(AxisTicks.format(1500, step: 500), "1500")
    XCTAssertEqual(AxisTicks.format(2e12, step: 1e12), "2e12")
    XCTAssertEqual(AxisTicks.formatLog(1e-5), "1e-5")
  }
}
