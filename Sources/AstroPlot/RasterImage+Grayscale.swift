/// Drawing float images (cutouts) through a stretch and a colormap.
extension RasterImage {
  /// Draws `image` with its top-left corner at (`x`, `y`), each source pixel as a `scale` x `scale` block
  /// (nearest neighbour: cutouts are small and their pixels should stay visible as pixels).
  ///
  /// - Parameters:
  ///   - image: The float image to draw.
  ///   - x: The left edge on the canvas, in pixels.
  ///   - y: The top edge on the canvas, in pixels.
  ///   - scale: Canvas pixels per image pixel along each axis (1 or more).
  ///   - stretch: How values map to [0, 1] (see `ImageStretch`).
  ///   - colormap: How [0, 1] maps to colour.
  ///   - flipVertically: Draw the last row at the top. FITS images store the bottom row first, so pass true to
  ///     show a cutout the way DS9 does (north up for ZTF); braai's NumPy triplets are shown unflipped, as
  ///     matplotlib's `imshow` does by default.
  ///   - missingColor: The colour of NaN and infinite pixels (masked or off-chip in ZTF cutouts).
  /// - Returns: The rectangle drawn (`image.width * scale` by `image.height * scale`).
  /// - Throws: `PlotError.invalidArgument` for `scale < 1`; the stretch's errors for bad limits.
  @discardableResult
  public mutating func drawGrayscale(
    _ image: GrayscaleImage, x: Int, y: Int, scale: Int = 1, stretch: ImageStretch = .zscale,
    colormap: Colormap = .gray, flipVertically: Bool = false, missingColor: PlotColor = PlotColor(hex: 0xff00ff)
  ) throws -> PixelRect {
    guard scale >= 1, scale <= RasterImage.maximumDimension else {
      throw PlotError.invalidArgument(operation: "drawGrayscale", message: "scale \(scale) must be >= 1")
    }
    let (low, high) = try stretch.limits(for: image.pixels)
    let span = Double(high) - Double(low)
    for row in 0..<image.height {
      let sourceRow = flipVertically ? image.height - 1 - row : row
      for column in 0..<image.width {
        let value = image[column, sourceRow]
        let color = value.isFinite ? colormap.color(at: (Double(value) - Double(low)) / span) : missingColor
        fillRect(PixelRect(x: x + column * scale, y: y + row * scale, width: scale, height: scale), color: color)
      }
    }
    return PixelRect(x: x, y: y, width: image.width * scale, height: image.height * scale)
  }
}
