import AstroInt8
import XCTest

final class RequantizationTests: XCTestCase {
  func testQuantizeMultiplierSplitsMantissaAndExponent() {
    // frexp: 0.5 = 0.5·2^0, 1 = 0.5·2^1, 0.75 = 0.75·2^0, 0.1 = 0.8·2^-3 (mantissa rounded half away from zero).
    XCTAssertEqual(Requantization.Multiplier(0.5), .init(mantissa: 1 << 30, shift: 0))
    XCTAssertEqual(Requantization.Multiplier(1.0), .init(mantissa: 1 << 30, shift: 1))
    XCTAssertEqual(Requantization.Multiplier(0.75), .init(mantissa: 1_610_612_736, shift: 0))
    XCTAssertEqual(Requantization.Multiplier(0.1), .init(mantissa: 1_717_986_918, shift: -3))
    XCTAssertEqual(Requantization.Multiplier(0), .init(mantissa: 0, shift: 0))
    // Below 2^-32 the multiplier flushes to zero, as LiteRT's QuantizeMultiplier does.
    XCTAssertEqual(Requantization.Multiplier(1e-12), .init(mantissa: 0, shift: 0))
  }

  func testRescaleRoundsLikeGemmlowp() {
    let half = Requantization.Multiplier(0.5)
    XCTAssertEqual(half.apply(100), 50)
    XCTAssertEqual(half.apply(101), 51)  // 50.5: away from zero
    // SaturatingRoundingDoublingHighMul's nudge for negative products is 1 − 2^30: −50.5 goes to −50.
    XCTAssertEqual(half.apply(-101), -50)
    // A right shift after the multiply rounds half away from zero (RoundingDivideByPOT): 0.1·25 = 2.5 → 3.
    XCTAssertEqual(Requantization.Multiplier(0.1).apply(25), 3)
    XCTAssertEqual(Requantization.Multiplier(0.1).apply(-25), -3)
    // A multiplier above 1 shifts left first: 3·7 = 21.
    XCTAssertEqual(Requantization.Multiplier(3).apply(7), 21)
    XCTAssertEqual(Requantization.saturatingRoundingDoublingHighMultiply(.min, .min), .max)
  }

  func testActivationRangeRoundsTheBoundInFloat() {
    XCTAssertEqual(Requantization.activationRange(.none, type: .int8, scale: 0.1, zeroPoint: -3), -128...127)
    XCTAssertEqual(Requantization.activationRange(.relu, type: .int8, scale: 0.1, zeroPoint: -3), -3...127)
    // 6 / 0.05 = 120, + zp 10 = 130 → capped at 127; uint8 keeps [0, 255].
    XCTAssertEqual(Requantization.activationRange(.relu6, type: .int8, scale: 0.05, zeroPoint: 10), 10...127)
    XCTAssertEqual(Requantization.activationRange(.relu6, type: .uint8, scale: 0.05, zeroPoint: 10), 10...130)
    XCTAssertEqual(Requantization.activationRange(.reluN1To1, type: .int8, scale: 0.01, zeroPoint: 0), -100...100)
  }
}
