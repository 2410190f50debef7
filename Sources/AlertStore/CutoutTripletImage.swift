import AstroPlot
import Foundation
import ZTFAlerts

/// An alert's science, template and difference cutouts side by side, as alert brokers show them: decoded from the
/// stored gzip FITS stamps, each with its own zscale stretch, north up (FITS stores the bottom row first, so rows
/// are flipped as DS9 and Fritz/Kowalski thumbnails show them), enlarged with sharp pixels.
///
///     let cutouts = try store.cutouts(candid: 1127495406315015005)!
///     try CutoutTripletImage(cutouts: cutouts).writePNG(to: "triplet.png")
public struct CutoutTripletImage: Sendable {
  public var cutouts: StoredCutouts
  /// Each cutout pixel becomes pixelScale x pixelScale image pixels.
  public var pixelScale = 4

  public init(cutouts: StoredCutouts) {
    self.cutouts = cutouts
  }

  /// The three decoded stamps (science, template, difference), NaN where the FITS has blank pixels.
  /// Throws `AlertError`/`AlertStoreError` naming the candid and cutout when one is missing or unreadable.
  public func images() throws -> [GrayscaleImage] {
    let label = "candid \(cutouts.candid)"
    let stamps: [(Cutout.Kind, CutoutBlob?)] = [
      (.science, cutouts.science), (.template, cutouts.template), (.difference, cutouts.difference),
    ]
    return try stamps.map { kind, blob in
      guard let blob else { throw AlertStoreError(source: label, reason: "no \(kind.rawValue) stored") }
      let fits = try Cutout(kind: kind, fileName: blob.fileName, stampData: blob.data, source: label).image()
      do {
        return try GrayscaleImage(width: fits.width, height: fits.height, pixels: fits.pixels)
      } catch {
        throw AlertStoreError(source: label, reason: "\(kind.rawValue): \(error)")
      }
    }
  }

  /// The triplet strip as an RGB image, titled, with the candid underneath.
  public func render() throws -> RasterImage {
    let titles = ["Science", "Template", "Difference"]
    let panels = try images().enumerated().map { i, image in
      ImagePanel(image, title: titles[i], stretch: .zscale, colormap: .gray, flipVertically: true)
    }
    return try ImageGrid(
      cells: [ImageGridCell(panels: panels, caption: "candid \(cutouts.candid)")], pixelScale: pixelScale
    ).render()
  }

  /// The image as PNG bytes (what an HTTP response carries).
  public func png() throws -> Data {
    try render().pngData()
  }

  /// Writes the strip as a PNG file (atomically).
  public func writePNG(to path: String) throws {
    try render().writePNG(to: path)
  }
}
