import AstroInt8
import AstroKernels
import XCTest

/// `TensorValues(quantizing:)`, LiteRT's QUANTIZE of float inputs, runs a C loop compiled per ISA: on every route it
/// must give what the plain definition gives (round(x / s) half away from zero, plus the zero point, clamped; NaN to
/// the zero point), including at ties, infinities, huge values and negative zero.
final class QuantizeInputTests: XCTestCase {
  static func reference(_ value: Float, scale: Float, zeroPoint: Int, unsigned: Bool) -> UInt8 {
    let range: ClosedRange<Float> = unsigned ? 0...255 : -128...127
    let level = value.isNaN ? Float(zeroPoint) : (value / scale).rounded(.toNearestOrAwayFromZero) + Float(zeroPoint)
    let clamped = min(max(level, range.lowerBound), range.upperBound)
    return unsigned ? UInt8(clamped) : UInt8(bitPattern: Int8(clamped))
  }

  func testEveryRouteQuantizesAsTheDefinition() throws {
    var random = Xoshiro256StarStar(seed: 9)
    let scale: Float = 0.02
    // Ties of every kind (k.5 steps), values a float step either side of them, specials, and random values.
    var values: [Float] = [.nan, -.nan, .infinity, -.infinity, 0, -0.0, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                           .leastNonzeroMagnitude, 1e30, -1e30]
    for k in -300...300 {
      let tie = (Float(k) + 0.5) * scale
      values += [tie, tie.nextUp, tie.nextDown, Float(k) * scale]
    }
    values += (0..<100_000).map { _ in Float.random(in: -4...4, using: &random) }
    let saved = KernelISA.active
    defer { KernelISA.active = saved }
    for isa in KernelISA.available {
      KernelISA.active = isa
      for (unsigned, zeroPoint) in [(false, -128), (false, 0), (false, 7), (true, 0), (true, 128), (true, 255)] {
        let tensor = GraphTensor(name: "x", shape: [values.count], type: unsigned ? .uint8 : .int8,
                                 quantization: Quantization(scale: scale, zeroPoint: zeroPoint))
        let got = try TensorValues(quantizing: values, shape: [values.count], for: tensor).bytes
        let expected = values.map { Self.reference($0, scale: scale, zeroPoint: zeroPoint, unsigned: unsigned) }
        let wrong = zip(values.indices, zip(got, expected)).filter { $1.0 != $1.1 }
        XCTAssertEqual(wrong.count, 0, "\(isa.rawValue), zero point \(zeroPoint): first wrong value \(wrong.first.map { values[$0.0] } as Any)")
      }
    }
  }

  func testNoValues() throws {
    let tensor = GraphTensor(name: "x", shape: [0], type: .int8, quantization: Quantization(scale: 0.1, zeroPoint: 0))
    XCTAssertEqual(try TensorValues(quantizing: [], shape: [0], for: tensor).bytes, [])
    XCTAssertEqual(try TensorValues(quantizing: [[Float]](), sampleShape: [3], for: tensor).shape, [0, 3])
  }
}
