import AstroNN
import AstroTensor
import Foundation
import XCTest

/// Splits identical to scikit-learn's `train_test_split(random_state=42)` (NumPy's legacy RandomState).
final class DataSplitTests: XCTestCase {
  func testPermutationEqualsNumPy() {
    // Printed by NumPy 2.4: np.random.RandomState(42).permutation(20) and RandomState(0).permutation(7).
    var r42 = NumpyRandomState(seed: 42)
    XCTAssertEqual(r42.permutation(20), [0, 17, 15, 1, 8, 5, 11, 3, 18, 16, 13, 2, 9, 19, 4, 12, 7, 10, 14, 6])
    var r0 = NumpyRandomState(seed: 0)
    XCTAssertEqual(r0.permutation(7), [6, 2, 1, 3, 0, 5, 4])
  }

  func testTrainTestSplitTakesCeilOfTestFractionFromThePermutationStart() throws {
    // sklearn: n_test = ceil(0.1 * 50) = 5 -> permutation[:5]; NumPy gives 13, 39, 30, 45, 17 first.
    let (train, test) = try DataSplit.trainTest(count: 50, testFraction: 0.1, seed: 42)
    XCTAssertEqual(test, [13, 39, 30, 45, 17])
    XCTAssertEqual(Array(train.prefix(5)), [48, 26, 25, 32, 19])
    XCTAssertEqual(Set(train + test), Set(0..<50))
    XCTAssertEqual(train.count, 45)
  }

  func testAgainstLiveNumPyForLargerSizes() throws {
    let check = Process()
    check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    check.arguments = ["python3", "-c", "import numpy, sys; sys.stdout.write(' '.join(map(str, numpy.random.RandomState(42).permutation(100003)[:50])))"]
    let pipe = Pipe()
    check.standardOutput = pipe
    check.standardError = FileHandle.nullDevice
    try check.run()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    check.waitUntilExit()
    guard check.terminationStatus == 0 else { throw XCTSkip("python3 with numpy not available to compare permutations") }
    var random = NumpyRandomState(seed: 42)
    XCTAssertEqual(Array(random.permutation(100_003).prefix(50)), text.split(separator: " ").map { Int($0)! })
  }

  func testValidationIsTheFirstTenPercentOfTheTrainingPart() {
    let (train, validation) = DataSplit.validation(Array(100..<120), fraction: 0.1)
    XCTAssertEqual(validation, [100, 101])
    XCTAssertEqual(train, Array(102..<120))
  }

  func testBadFractionsThrow() {
    XCTAssertThrowsError(try DataSplit.trainTest(count: 10, testFraction: 0))
    XCTAssertThrowsError(try DataSplit.trainTest(count: 1, testFraction: 0.1))
  }
}
