/// One image in an `ImageGrid` cell, with how to display it.
public struct ImagePanel: Sendable {
  /// The pixels to show.
  public var image: GrayscaleImage
  /// Drawn centred above the image (e.g. "science", "reference", "difference"); nil for none.
  public var title: String?
  /// How values map to [0, 1] (zscale by default, as for astronomical cutouts).
  public var stretch: ImageStretch
  /// How [0, 1] maps to colour.
  public var colormap: Colormap
  /// See `RasterImage.drawGrayscale(_:x:y:scale:stretch:colormap:flipVertically:missingColor:)`.
  public var flipVertically: Bool

  /// A panel; zscale stretch and grey colormap by default.
  public init(
    _ image: GrayscaleImage, title: String? = nil, stretch: ImageStretch = .zscale, colormap: Colormap = .gray,
    flipVertically: Bool = false
  ) {
    self.image = image
    self.title = title
    self.stretch = stretch
    self.colormap = colormap
    self.flipVertically = flipVertically
  }
}

/// A group of panels shown side by side (a triplet's three channels) with an optional caption underneath
/// (e.g. "candid 123 p=0.93 label 0"; "\n" starts a new line).
public struct ImageGridCell: Sendable {
  /// Images shown left to right.
  public var panels: [ImagePanel]
  /// Text under the images; nil for none.
  public var caption: String?

  /// A cell from its panels and caption.
  public init(panels: [ImagePanel], caption: String? = nil) {
    self.panels = panels
    self.caption = caption
  }
}

/// Lays out cells of images in rows of `columns`, each panel enlarged by an integer `pixelScale` (nearest
/// neighbour, so cutout pixels stay sharp) and framed by a thin border, under an optional title.
///
/// The cutout strip of an alert page is a single cell:
/// ```swift
/// let strip = try ImageGrid.strip([science, reference, difference],
///                                 titles: ["Science", "Reference", "Difference"]).render()
/// ```
public struct ImageGrid: Sendable {
  /// Figure title above the grid; empty for none.
  public var title: String
  /// Cells in reading order.
  public var cells: [ImageGridCell]
  /// Cells per row.
  public var columns: Int
  /// Each image pixel becomes `pixelScale` x `pixelScale` canvas pixels.
  public var pixelScale: Int
  /// Bitmap-font scale of titles and captions (the figure title is one step larger).
  public var textScale: Int
  /// Pixels between panels inside a cell.
  public var panelSpacing: Int
  /// Pixels between cells and around the figure.
  public var cellSpacing: Int
  /// Canvas colour.
  public var background: PlotColor
  /// A 1-pixel frame around each image (nil for none): separates dark cutouts from each other.
  public var frameColor: PlotColor?

  /// A grid; one column, pixel scale 3 and text scale 2 by default.
  public init(
    title: String = "", cells: [ImageGridCell], columns: Int = 1, pixelScale: Int = 3, textScale: Int = 2,
    panelSpacing: Int = 6, cellSpacing: Int = 16, background: PlotColor = .white, frameColor: PlotColor? = .midGray
  ) {
    self.title = title
    self.cells = cells
    self.columns = columns
    self.pixelScale = pixelScale
    self.textScale = textScale
    self.panelSpacing = panelSpacing
    self.cellSpacing = cellSpacing
    self.background = background
    self.frameColor = frameColor
  }

  /// One cell of `images` side by side with `titles` above them (empty titles for none), e.g. the science,
  /// reference and difference cutouts of an alert.
  /// - Throws: `PlotError.lengthMismatch` when there are titles but not one per image.
  public static func strip(
    _ images: [GrayscaleImage], titles: [String] = [], pixelScale: Int = 3, textScale: Int = 2,
    stretch: ImageStretch = .zscale, colormap: Colormap = .gray, flipVertically: Bool = false
  ) throws -> ImageGrid {
    guard titles.isEmpty || titles.count == images.count else {
      throw PlotError.lengthMismatch(operation: "ImageGrid.strip", message: "\(titles.count) titles for \(images.count) images")
    }
    let panels = images.enumerated().map { i, image in
      ImagePanel(image, title: titles.isEmpty ? nil : titles[i], stretch: stretch, colormap: colormap,
                 flipVertically: flipVertically)
    }
    return ImageGrid(cells: [ImageGridCell(panels: panels)], columns: 1, pixelScale: pixelScale, textScale: textScale)
  }

  /// Draws the grid on a new RGB canvas just large enough for it.
  /// - Throws: `PlotError.invalidArgument` for no cells, a cell without panels, `columns`/`pixelScale`/`textScale`
  ///   below 1 or negative spacing; the stretches' errors; a canvas beyond `RasterImage.maximumDimension`.
  public func render() throws -> RasterImage {
    try validate()
    let s = textScale
    let gap = 2 * s
    let textHeight = BitmapFont.height(scale: s)
    // Size of every cell: panels (each at least as wide as its title) in a row, titles above, caption below.
    let slotWidths = cells.map { cell in
      cell.panels.map { max($0.image.width * pixelScale, BitmapFont.width(of: $0.title ?? "", scale: s)) }
    }
    let titleBand = cells.map { cell in cell.panels.contains { !($0.title ?? "").isEmpty } ? textHeight + gap : 0 }
    let cellWidths = cells.indices.map { i in
      max(slotWidths[i].reduce(0, +) + panelSpacing * (cells[i].panels.count - 1),
          BitmapFont.width(of: cells[i].caption ?? "", scale: s))
    }
    let cellHeights = cells.indices.map { i in
      titleBand[i] + (cells[i].panels.map { $0.image.height * pixelScale }.max() ?? 0)
        + ((cells[i].caption ?? "").isEmpty ? 0 : gap + BitmapFont.height(of: cells[i].caption!, scale: s))
    }
    let rows = (cells.count + columns - 1) / columns
    let usedColumns = min(columns, cells.count)
    let columnWidth = cellWidths.max() ?? 0
    let rowHeights = (0..<rows).map { r in
      (r * columns..<min((r + 1) * columns, cells.count)).map { cellHeights[$0] }.max() ?? 0
    }
    let figureTitleHeight = title.isEmpty ? 0 : BitmapFont.height(of: title, scale: s + 1) + cellSpacing
    let width = cellSpacing + usedColumns * (columnWidth + cellSpacing)
    let height = cellSpacing + figureTitleHeight + rowHeights.reduce(0, +) + rows * cellSpacing
    var canvas = try RasterImage(width: width, height: height, background: background)

    if !title.isEmpty {
      canvas.drawText(title, x: width / 2, y: cellSpacing, scale: s + 1, color: .ink, horizontal: .center)
    }
    var top = cellSpacing + figureTitleHeight
    for r in 0..<rows {
      for i in r * columns..<min((r + 1) * columns, cells.count) {
        let cellLeft = cellSpacing + (i % columns) * (columnWidth + cellSpacing)
        // Centre narrower cells in their column.
        var x = cellLeft + (columnWidth - cellWidths[i]) / 2
        let imageTop = top + titleBand[i]
        for (p, panel) in cells[i].panels.enumerated() {
          let slot = slotWidths[i][p]
          let imageLeft = x + (slot - panel.image.width * pixelScale) / 2
          if let panelTitle = panel.title, !panelTitle.isEmpty {
            canvas.drawText(panelTitle, x: x + slot / 2, y: top, scale: s, color: .ink, horizontal: .center)
          }
          let drawn = try canvas.drawGrayscale(
            panel.image, x: imageLeft, y: imageTop, scale: pixelScale, stretch: panel.stretch,
            colormap: panel.colormap, flipVertically: panel.flipVertically)
          if let frameColor { canvas.strokeRect(drawn.insetBy(-1), color: frameColor) }
          x += slot + panelSpacing
        }
        if let caption = cells[i].caption, !caption.isEmpty {
          let imagesHeight = cells[i].panels.map { $0.image.height * pixelScale }.max() ?? 0
          canvas.drawText(
            caption, x: cellLeft + columnWidth / 2, y: imageTop + imagesHeight + gap, scale: s, color: .ink,
            horizontal: .center)
        }
      }
      top += rowHeights[r] + cellSpacing
    }
    return canvas
  }

  private func validate() throws {
    func fail(_ message: String) -> PlotError { PlotError.invalidArgument(operation: "ImageGrid", message: message) }
    guard !cells.isEmpty else { throw fail("no cells") }
    if let empty = cells.firstIndex(where: { $0.panels.isEmpty }) { throw fail("cell \(empty) has no panels") }
    guard columns >= 1 else { throw fail("columns \(columns) < 1") }
    guard (1...64).contains(pixelScale) else { throw fail("pixel scale \(pixelScale) outside 1...64") }
    guard (1...16).contains(textScale) else { throw fail("text scale \(textScale) outside 1...16") }
    guard panelSpacing >= 0, cellSpacing >= 0 else { throw fail("negative spacing") }
  }
}
