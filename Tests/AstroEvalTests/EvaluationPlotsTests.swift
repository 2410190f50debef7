import AstroEval
import AstroPlot
import XCTest

final class EvaluationPlotsTests: XCTestCase {
  private func predictions() throws -> BinaryPredictions {
    // 40 samples: positives score high, negatives low, with some overlap.
    let scores: [Float] = (0..<40).map { i in i % 2 == 1 ? 0.5 + Float(i) / 80 : Float(i) / 60 }
    return try BinaryPredictions(scores: scores, labels: (0..<40).map { $0 % 2 })
  }

  func testEachFigureHasItsRequestedSize() throws {
    let p = try predictions()
    let roc = try ROCCurve(p)
    let figures: [(RasterImage, Int, Int)] = [
      (try EvaluationPlots.rocCurve(roc, width: 1000, height: 480), 1000, 480),
      (try EvaluationPlots.errorRatesVsThreshold(roc, width: 640, height: 480), 640, 480),
      (try EvaluationPlots.scoreHistogram(p, bins: 20, width: 640, height: 480), 640, 480),
      (try EvaluationPlots.confusionMatrix(ConfusionMatrix(p), size: 400), 400, 400),
      (try EvaluationPlots.trainingCurves(TrainingCurves(loss: [1], accuracy: [0.5]), width: 800, height: 400), 800, 400),
    ]
    for (image, width, height) in figures {
      XCTAssertEqual(image.width, width)
      XCTAssertEqual(image.height, height)
      let back = try RasterImage(pngData: image.pngData())
      XCTAssertEqual(back.pixels, image.pixels)
    }
  }

  func testConfusionMatrixCellsAreShadedByRowFraction() throws {
    // tn 3, fp 1 | fn 0, tp 4: the tp cell (100%) is darker than the fp cell (25%).
    let m = ConfusionMatrix(threshold: 0.5, trueNegatives: 3, falsePositives: 1, falseNegatives: 0, truePositives: 4)
    let image = try EvaluationPlots.confusionMatrix(m, size: 640)
    func brightness(_ x: Int, _ y: Int) -> Int { let c = image.pixel(x: x, y: y)!; return Int(c.red) + Int(c.green) + Int(c.blue) }
    // Sample near the cells' corners (away from the text): the grid spans most of the image.
    let fpCell = brightness(620, 120), tpCell = brightness(620, 400)
    XCTAssertGreaterThan(fpCell, tpCell + 100)
  }

  func testMisclassifiedGridShowsEachSampleChannels() throws {
    let images = try SampleImages(values: (0..<(3 * 27)).map(Float.init), width: 3, height: 3, channels: 3)
    let samples = [MisclassifiedSample(index: 2, id: 99, score: 0.9, label: 0),
                   MisclassifiedSample(index: 0, id: nil, score: 0.1, label: 1)]
    let grid = try EvaluationPlots.misclassifiedGrid(samples, images: images, columns: 2, pixelScale: 4)
    XCTAssertGreaterThan(grid.width, 2 * 3 * 12)
    XCTAssertThrowsError(try EvaluationPlots.misclassifiedGrid([], images: images))
    XCTAssertThrowsError(
      try EvaluationPlots.misclassifiedGrid([MisclassifiedSample(index: 3, id: nil, score: 0, label: 1)], images: images))
  }

  func testBadPlotArguments() throws {
    let p = try predictions()
    XCTAssertThrowsError(try EvaluationPlots.scoreHistogram(p, bins: 0))
    XCTAssertThrowsError(try EvaluationPlots.scoreHistogram(p, classNames: ["a"]))
    XCTAssertThrowsError(try EvaluationPlots.confusionMatrix(ConfusionMatrix(p), size: 50))
    XCTAssertThrowsError(try EvaluationPlots.rocCurve(ROCCurve(p), width: 20, height: 20)) { error in
      guard case EvaluationError.plot = error else { return XCTFail("expected .plot, got \(error)") }
    }
  }
}
