import AstroPlot
import Foundation

extension EvaluationPlots {
  /// The images of misclassified samples in a grid, each as its channels side by side (science, reference,
  /// difference for a braai triplet) with a caption "candid <id> p=<score> label <label>" (the sample index
  /// stands in for the id when there are no ids). Shows the first `limit` samples in the order given
  /// (`MisclassifiedSample.all` puts the most confident mistakes first).
  /// - Throws: `EvaluationError.empty` for no samples; `.invalidArgument` for a sample index beyond `images`.
  public static func misclassifiedGrid(
    _ samples: [MisclassifiedSample], images: SampleImages, limit: Int = 24, columns: Int = 4, pixelScale: Int = 2,
    stretch: ImageStretch = .zscale
  ) throws -> RasterImage {
    guard !samples.isEmpty else { throw EvaluationError.empty("no misclassified samples to show") }
    guard limit >= 1, columns >= 1 else { throw EvaluationError.invalidArgument("limit \(limit), columns \(columns)") }
    let shown = Array(samples.prefix(limit))
    if let bad = shown.first(where: { $0.index < 0 || $0.index >= images.count }) {
      throw EvaluationError.invalidArgument("sample \(bad.index) has no image (\(images.count) images)")
    }
    return try plotting("misclassified grid") {
      let cells = try shown.enumerated().map { position, sample in
        let channels = try GrayscaleImage.channels(
          ofHWC: Array(images.image(at: sample.index)), width: images.width, height: images.height,
          channels: images.channels)
        // Channel titles on the first row only: they are the same for every cell.
        let panels = channels.enumerated().map { c, channel in
          ImagePanel(channel, title: position < columns && !images.channelNames.isEmpty ? images.channelNames[c] : nil,
                     stretch: stretch)
        }
        let name = sample.id.map { "candid \($0)" } ?? "sample \(sample.index)"
        return ImageGridCell(panels: panels, caption: "\(name)\np=\(String(format: "%.3f", Double(sample.score))) label \(sample.label)")
      }
      let title = "Misclassified samples (\(shown.count) of \(samples.count))"
      return try ImageGrid(title: title, cells: cells, columns: columns, pixelScale: pixelScale, textScale: 1 + pixelScale / 2)
        .render()
    }
  }
}
