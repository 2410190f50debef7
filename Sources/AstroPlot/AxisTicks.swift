import Foundation

/// One labelled tick on an axis.
public struct AxisTick: Hashable, Sendable {
  /// The data value at the tick.
  public var value: Double
  /// The text drawn next to it.
  public var label: String

  /// A tick from its value and label.
  public init(value: Double, label: String) {
    self.value = value
    self.label = label
  }
}

/// Tick placement and labelling: "nice" round numbers (1, 2 or 5 times a power of ten) on linear axes, powers
/// of ten on log axes.
public enum AxisTicks {
  /// Labelled ticks inside `range` (both ends included when they fall on a tick).
  public static func ticks(in range: ClosedRange<Double>, scale: AxisScale, targetCount: Int = 6) -> [AxisTick] {
    switch scale {
    case .linear:
      let values = linearValues(in: range, targetCount: targetCount)
      let step = values.count > 1 ? values[1] - values[0] : max(abs(range.lowerBound), 1)
      return values.map { AxisTick(value: $0, label: format($0, step: step)) }
    case .log10:
      return logValues(in: range, targetCount: targetCount).map { AxisTick(value: $0, label: formatLog($0)) }
    }
  }

  /// Nice linear tick values: the step is 1, 2 or 5 times a power of ten chosen so that about `targetCount`
  /// ticks fall in `range`; values are integer multiples of the step (computed as `k * step`, not by repeated
  /// addition, so 0.6 does not come out as 0.6000000000000001).
  public static func linearValues(in range: ClosedRange<Double>, targetCount: Int = 6) -> [Double] {
    let lo = range.lowerBound, hi = range.upperBound
    guard lo.isFinite, hi.isFinite else { return [] }
    guard hi > lo else { return [lo] }
    let step = niceStep(span: hi - lo, targetCount: max(targetCount, 2))
    let first = (lo / step - 1e-9).rounded(.up), last = (hi / step + 1e-9).rounded(.down)
    guard first <= last, last - first < 1000 else { return [] }
    return stride(from: first, through: last, by: 1).map { k in
      let v = k * step
      // Round away representation noise at the step's own precision (and turn -0 into 0).
      let digits = max(0, -Int(Foundation.log10(step).rounded(.down))) + 1
      let factor = Foundation.pow(10, Double(min(digits, 15)))
      let cleaned = abs(v) < 1e15 / factor ? (v * factor).rounded() / factor : v
      return cleaned == 0 ? 0 : cleaned
    }
  }

  /// The 1-2-5 step (1, 2 or 5 times a power of ten) whose tick count over `span` comes closest to
  /// `targetCount`, preferring the larger step on a tie (fewer, roomier labels).
  public static func niceStep(span: Double, targetCount: Int) -> Double {
    let target = Double(max(targetCount, 2))
    let rough = span / (target - 1)
    let magnitude = Foundation.pow(10, Foundation.log10(rough).rounded(.down))
    var best = 10 * magnitude
    var bestDistance = Double.infinity
    for candidate in [10.0, 5, 2, 1, 0.5].map({ $0 * magnitude }) {
      let count = (span / candidate).rounded(.down) + 1
      let distance = abs(count - target)
      if distance < bestDistance - 1e-9 {
        best = candidate
        bestDistance = distance
      }
    }
    return best
  }

  /// Log-axis tick values: the powers of ten inside `range` (every n-th decade when there are many more than
  /// `targetCount`); when fewer than two powers of ten fit, 1-2-5 multiples, and failing that, linear ticks.
  public static func logValues(in range: ClosedRange<Double>, targetCount: Int = 6) -> [Double] {
    let lo = range.lowerBound, hi = range.upperBound
    guard lo > 0, hi.isFinite, hi >= lo else { return [] }
    let firstDecade = Int((Foundation.log10(lo) - 1e-9).rounded(.up))
    let lastDecade = Int((Foundation.log10(hi) + 1e-9).rounded(.down))
    let decades = lastDecade - firstDecade + 1
    if decades >= 2 {
      let every = max(1, Int((Double(decades) / Double(max(targetCount, 2))).rounded(.up)))
      return (firstDecade...lastDecade).filter { ($0 - firstDecade) % every == 0 }.map { powerOfTen($0) }
    }
    var values: [Double] = []
    for decade in (firstDecade - 1)...(lastDecade + 1) {
      for m in [1.0, 2.0, 5.0] {
        let v = m * powerOfTen(decade)
        if v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9) { values.append(v) }
      }
    }
    return values.count >= 2 ? values : linearValues(in: range, targetCount: targetCount).filter { $0 > 0 }
  }

  /// Unlabelled minor ticks of a log axis: 2..9 times each power of ten inside `range`, only when the axis
  /// shows every decade (with coarser decades they would crowd).
  public static func logMinorValues(in range: ClosedRange<Double>, targetCount: Int = 6) -> [Double] {
    let lo = range.lowerBound, hi = range.upperBound
    guard lo > 0, hi.isFinite, hi > lo else { return [] }
    let first = Int(Foundation.log10(lo).rounded(.down)), last = Int(Foundation.log10(hi).rounded(.up))
    guard last - first <= max(targetCount, 2) else { return [] }
    var values: [Double] = []
    for decade in first...last {
      for m in 2...9 {
        let v = Double(m) * powerOfTen(decade)
        if v > lo && v < hi { values.append(v) }
      }
    }
    return values
  }

  /// 10^k computed exactly for the decades plots use (pow(10, -3) is not exactly 0.001; 1/1000 is closer).
  static func powerOfTen(_ k: Int) -> Double {
    k >= 0 ? Foundation.pow(10, Double(k)) : 1 / Foundation.pow(10, Double(-k))
  }

  /// A linear tick label with as many decimals as the step needs ("0.2", "2458005", "-1.5"); scientific
  /// notation ("2e-05" style, written "2e-5") for very large or very small magnitudes.
  public static func format(_ value: Double, step: Double) -> String {
    if value == 0 { return "0" }
    let magnitude = abs(value)
    if magnitude >= 1e10 || (step < 1e-5 && magnitude < 1e-3) { return scientific(value) }
    let decimals = max(0, min(10, -Int((Foundation.log10(step) + 1e-9).rounded(.down))))
    return String(format: "%.\(decimals)f", value)
  }

  /// A log tick label: the shortest plain decimal (up to four significant digits) from 0.0001 to 10000
  /// ("0.001", "2", "0.55", "20"), scientific beyond.
  public static func formatLog(_ value: Double) -> String {
    let exponent = Foundation.log10(value)
    if exponent >= -4.0001 && exponent <= 4.0001 {
      let decimals = max(0, 3 - Int((exponent + 1e-9).rounded(.down)))
      var text = String(format: "%.\(decimals)f", value)
      if text.contains(".") {
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
      }
      return text
    }
    return scientific(value)
  }

  /// "1e-6", "2.5e12": mantissa without trailing zeros, exponent without padding.
  static func scientific(_ value: Double) -> String {
    let exponent = Int(Foundation.log10(abs(value)).rounded(.down))
    var mantissa = String(format: "%.2f", value / powerOfTen(exponent))
    while mantissa.hasSuffix("0") { mantissa.removeLast() }
    if mantissa.hasSuffix(".") { mantissa.removeLast() }
    return "\(mantissa)e\(exponent)"
  }
}
