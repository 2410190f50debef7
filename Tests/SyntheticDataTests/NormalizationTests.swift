import SyntheticData
import XCTest

final class NormalizationTests: XCTestCase {
  func testRowNormalizationMatchesKerasNormalizeOnTheLastAxis() {
    // Two rows of width 3, two channels: tf.keras.utils.normalize(x) divides each row by its L2 norm and
    // leaves all-zero rows alone; braai turns NaN into 0 first.
    var image: [Float] = [
      3, 0, 4, 0, 0, 0, // row 0: channel 0 = (3, 4, 0), channel 1 = (0, 0, 0)
      .nan, 1, 3, 1, 4, 1, // row 1: channel 0 = (NaN, 3, 4), channel 1 = (1, 1, 1)
    ]
    image.withUnsafeMutableBufferPointer { RowNormalization.apply($0, height: 2, width: 3, channels: 2) }
    let third = Float(1 / 3.0.squareRoot())
    let expected: [Float] = [0.6, 0, 0.8, 0, 0, 0, 0, third, 0.6, third, 0.8, third]
    for (value, want) in zip(image, expected) { XCTAssertEqual(value, want, accuracy: 1e-6) }
  }

  func testEveryNonZeroRowOfEveryCutoutHasUnitNorm() throws {
    let generator = try ZTFTripletGenerator()
    let output = try generator.generate(count: 250, seed: 21)
    var zeroRows = 0
    for sample in 0..<250 {
      for channel in 0..<3 {
        for row in 0..<63 {
          var sum = 0.0
          for column in 0..<63 {
            let value = Double(output.triplets[((sample * 63 + row) * 63 + column) * 3 + channel])
            sum += value * value
          }
          if sum == 0 {
            zeroRows += 1
          } else {
            XCTAssertEqual(sum.squareRoot(), 1, accuracy: 1e-5, "sample \(sample) channel \(channel) row \(row)")
          }
        }
      }
    }
    // Off-chip rows (edge bogus with a top/bottom edge, some others) are all zero.
    XCTAssertGreaterThan(zeroRows, 0)
  }

  func testNormalisedOutputIsTheRawOutputNormalised() throws {
    let generator = try ZTFTripletGenerator()
    var raw = try generator.generate(count: 40, seed: 9, normalization: .raw).triplets
    let normalised = try generator.generate(count: 40, seed: 9, normalization: .row).triplets
    raw.withUnsafeMutableBufferPointer { buffer in
      for sample in 0..<40 {
        let slice = UnsafeMutableBufferPointer(rebasing: buffer[(sample * 11907)..<((sample + 1) * 11907)])
        RowNormalization.apply(slice, height: 63, width: 63, channels: 3)
      }
    }
    XCTAssertEqual(raw.map(\.bitPattern), normalised.map(\.bitPattern))
  }

  func testEdgeCutoutsHaveNaNRawAndZeroNormalisedOffTheChip() throws {
    var configuration = ZTFTripletConfiguration()
    configuration.realFraction = 0
    configuration.bogusMix = [.edge: 1]
    let generator = try ZTFTripletGenerator(configuration: configuration)
    for index in 0..<30 {
      let raw = generator.sample(index: index, seed: 4, normalization: .raw)
      let normalised = generator.sample(index: index, seed: 4, normalization: .row).triplet
      let region = try XCTUnwrap(raw.truth.offChip, "edge sample \(index) has an off-chip region")
      XCTAssertGreaterThan(region.depth, 0)
      var offPixels = 0
      for row in 0..<63 {
        for column in 0..<63 {
          let i = (row * 63 + column) * 3
          let off = region.contains(row: row, column: column, size: 63)
          for channel in [0, 2] { // science and difference
            XCTAssertEqual(raw.triplet[i + channel].isNaN, off, "sample \(index) (\(row), \(column))")
            if off { XCTAssertEqual(normalised[i + channel], 0) }
          }
          if off { offPixels += 1 }
        }
      }
      // The candidate (centre) is on the chip, 2-10 px from the edge.
      XCTAssertFalse(region.contains(row: 31, column: 31, size: 63))
      XCTAssertEqual(offPixels, region.depth * 63)
      XCTAssertFalse(normalised.contains { $0.isNaN })
    }
  }
}
