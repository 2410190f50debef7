import AstroPlot
import Foundation

extension EvaluationPlots {
  /// The confusion matrix as a 2x2 heat map: each cell shaded by its row-normalised fraction (white to dark
  /// blue) and labelled with its count and that percentage, true class down the side, predicted class along the
  /// bottom, as braai's normalised confusion-matrix figure.
  public static func confusionMatrix(
    _ matrix: ConfusionMatrix, classNames: [String] = ["bogus", "real"], size: Int = 640
  ) throws -> RasterImage {
    guard classNames.count == 2 else { throw EvaluationError.lengthMismatch("\(classNames.count) class names, need 2") }
    guard size >= 200 else { throw EvaluationError.invalidArgument("confusion matrix image size \(size) < 200") }
    return try plotting("confusion matrix") {
      var image = try RasterImage(width: size, height: size)
      let s = max(1, size / 320)  // text scale
      let fontHeight = BitmapFont.height(scale: s)
      let title = "Confusion matrix (threshold \(formatThreshold(matrix.threshold)))"
      image.drawText(title, x: size / 2, y: 4 * s, scale: s + (size >= 560 ? 1 : 0), horizontal: .center)

      let nameWidth = classNames.map { BitmapFont.width(of: $0, scale: s) }.max() ?? 0
      let left = 4 * s + fontHeight + 6 * s + nameWidth + 6 * s
      let top = 4 * s + BitmapFont.height(scale: s + 1) + 10 * s
      let bottomMargin = 2 * fontHeight + 16 * s
      let cell = min((size - left - 8 * s) / 2, (size - top - bottomMargin) / 2)
      let dark = PlotColor(hex: 0x08306b)
      for row in 0..<2 {
        for column in 0..<2 {
          let fraction = matrix.normalized[row][column]
          let rect = PixelRect(x: left + column * cell, y: top + row * cell, width: cell, height: cell)
          image.fillRect(rect, color: .white)
          image.fillRect(rect, color: dark.withOpacity(0.08 + 0.92 * fraction))
          image.strokeRect(rect, color: .white, lineWidth: max(1, s))
          let ink: PlotColor = fraction > 0.45 ? .white : .ink
          let count = matrix.counts[row][column]
          image.drawText("\(count)", x: rect.x + cell / 2, y: rect.y + cell / 2 - 2 * s, scale: s + 1, color: ink,
                         horizontal: .center, vertical: .bottom)
          image.drawText(String(format: "%.1f%%", fraction * 100), x: rect.x + cell / 2, y: rect.y + cell / 2 + 4 * s,
                         scale: s, color: ink, horizontal: .center, vertical: .top)
        }
        // Class names beside each row and under each column.
        image.drawText(classNames[row], x: left - 6 * s, y: top + row * cell + cell / 2, scale: s, horizontal: .right,
                       vertical: .center)
        image.drawText(classNames[row], x: left + row * cell + cell / 2, y: top + 2 * cell + 6 * s, scale: s,
                       horizontal: .center)
      }
      image.drawText("predicted label", x: left + cell, y: top + 2 * cell + 8 * s + fontHeight, scale: s,
                     horizontal: .center)
      image.drawVerticalText("true label", centerX: 4 * s + fontHeight / 2, centerY: top + cell, scale: s)
      return image
    }
  }
}
