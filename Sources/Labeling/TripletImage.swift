import AstroPlot
import Foundation

extension LabelStore {
  /// An item's channels side by side as a PNG (science, reference, difference for a triplet), each with its own
  /// zscale stretch, north up (rows flipped: cutouts keep FITS order, bottom row first), enlarged `pixelScale`
  /// times with sharp pixels.
  public func tripletPNG(itemID: Int64, pixelScale: Int = 4) throws -> Data {
    let (item, values) = try triplet(itemID: itemID)
    let titles = item.channels == 3 ? ["Science", "Reference", "Difference"] : (0..<item.channels).map { "Channel \($0 + 1)" }
    do {
      let panels = try (0..<item.channels).map { c -> ImagePanel in
        let plane = stride(from: c, to: values.count, by: item.channels).map { values[$0] }
        return ImagePanel(try GrayscaleImage(width: item.width, height: item.height, pixels: plane), title: titles[c], stretch: .zscale,
                          flipVertically: true)
      }
      return try ImageGrid(cells: [ImageGridCell(panels: panels)], pixelScale: pixelScale).render().pngData()
    } catch let error as PlotError {
      throw LabelStoreError.store("item \(itemID): cannot draw its triplet: \(error)")
    }
  }
}
