import AstroTensor
import Foundation
import XCTest

public typealias GradientComparison = GradientCheck.Comparison
public typealias GradientCheckOptions = GradientCheck.Options

/// `GradientCheck.run` as a test assertion: each disagreement (or a throw) is a test failure at the caller.
/// Returns the comparison per input (nil when the check could not run), for extra assertions.
@discardableResult
public func checkGradients(
  _ name: String, inputs: [Tensor], options: GradientCheckOptions = GradientCheckOptions(),
  file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) throws -> Tensor
) -> [GradientComparison]? {
  do {
    let report = try GradientCheck.run(name, inputs: inputs, options: options, f)
    for failure in report.failures { XCTFail(failure, file: file, line: line) }
    return report.comparisons
  } catch {
    XCTFail("gradient check '\(name)': threw \(error)", file: file, line: line)
    return nil
  }
}

/// Shorthand with the common options as arguments.
@discardableResult
public func checkGradients(
  _ name: String, inputs: [Tensor], step: Float, relativeTolerance: Double = 1e-2, atol: Double = 1e-3,
  rtol: Double = 1e-2, outputMask: [Bool]? = nil, file: StaticString = #filePath, line: UInt = #line,
  _ f: ([Tensor]) throws -> Tensor
) -> [GradientComparison]? {
  let options = GradientCheckOptions(
    step: step, relativeTolerance: relativeTolerance, atol: atol, rtol: rtol, outputMask: outputMask)
  return checkGradients(name, inputs: inputs, options: options, file: file, line: line, f)
}

/// The multi-dimensional index of flat index `flat` in a row-major `shape`.
public func multiIndex(_ flat: Int, _ shape: [Int]) -> [Int] { GradientCheck.multiIndex(flat, shape) }

/// Asserts `|a[i] - b[i]| <= atol + rtol * |b[i]|` for every element (and equal counts); names the elements that
/// differ. NaN never compares close.
public func assertClose(
  _ a: [Float], _ b: [Float], atol: Float = 1e-5, rtol: Float = 1e-5, _ message: @autoclosure () -> String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  assertClose(a.map(Double.init), b.map(Double.init), atol: Double(atol), rtol: Double(rtol), message(), file: file, line: line)
}

/// Double version of `assertClose`.
public func assertClose(
  _ a: [Double], _ b: [Double], atol: Double = 1e-9, rtol: Double = 1e-9, _ message: @autoclosure () -> String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  let prefix = message().isEmpty ? "" : message() + ": "
  guard a.count == b.count else {
    XCTFail("\(prefix)counts differ: \(a.count) vs \(b.count)", file: file, line: line)
    return
  }
  var bad: [String] = []
  var badCount = 0
  for i in a.indices where !(abs(a[i] - b[i]) <= atol + rtol * abs(b[i])) {
    badCount += 1
    if bad.count < 5 { bad.append("[\(i)] \(a[i]) vs \(b[i])") }
  }
  if badCount > 0 {
    XCTFail(
      "\(prefix)\(badCount) of \(a.count) elements differ (atol \(atol), rtol \(rtol)): " + bad.joined(separator: ", "),
      file: file, line: line)
  }
}
