/// An 8-bit sRGB colour with alpha (255 = opaque). Alpha is used when drawing onto a canvas (the colour is
/// blended over what is there) and stored as such on an RGBA canvas.
public struct PlotColor: Hashable, Sendable, CustomStringConvertible {
  /// Red, 0-255.
  public var red: UInt8
  /// Green, 0-255.
  public var green: UInt8
  /// Blue, 0-255.
  public var blue: UInt8
  /// Opacity, 0 (transparent) to 255 (opaque).
  public var alpha: UInt8

  /// A colour from its components (alpha defaults to opaque).
  public init(red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8 = 255) {
    self.red = red; self.green = green; self.blue = blue; self.alpha = alpha
  }

  /// A colour from a 24-bit `0xRRGGBB` value, e.g. `PlotColor(hex: 0x1f77b4)`.
  public init(hex: UInt32, alpha: UInt8 = 255) {
    self.init(red: UInt8((hex >> 16) & 0xff), green: UInt8((hex >> 8) & 0xff), blue: UInt8(hex & 0xff), alpha: alpha)
  }

  /// The same colour with another alpha; `opacity` in [0, 1] (clamped).
  public func withOpacity(_ opacity: Double) -> PlotColor {
    var copy = self
    copy.alpha = UInt8((min(max(opacity, 0), 1) * 255).rounded())
    return copy
  }

  /// `#rrggbb` (or `#rrggbbaa` when not opaque).
  public var description: String {
    func hex2(_ v: UInt8) -> String { v < 16 ? "0" + String(v, radix: 16) : String(v, radix: 16) }
    return "#" + hex2(red) + hex2(green) + hex2(blue) + (alpha == 255 ? "" : hex2(alpha))
  }

  /// Opaque white.
  public static let white = PlotColor(red: 255, green: 255, blue: 255)
  /// Opaque black.
  public static let black = PlotColor(red: 0, green: 0, blue: 0)
  /// Near-black used for axes and text: softer than pure black, still dark for any threshold test.
  public static let ink = PlotColor(hex: 0x222222)
  /// Light grey for grid lines: visible on white without competing with the data.
  public static let gridGray = PlotColor(hex: 0xdddddd)
  /// Mid grey for secondary lines (chance diagonal, reference lines).
  public static let midGray = PlotColor(hex: 0x888888)
  /// Fully transparent (the background of an RGBA canvas to composite later).
  public static let transparent = PlotColor(red: 0, green: 0, blue: 0, alpha: 0)

  /// The default series palette: matplotlib's "tab10" (Vega category10), a readable set of ten distinct hues
  /// that most plots in the braai/DeepStreaks papers use, so our figures look familiar next to theirs.
  public static let defaultPalette: [PlotColor] = [
    PlotColor(hex: 0x1f77b4), PlotColor(hex: 0xff7f0e), PlotColor(hex: 0x2ca02c), PlotColor(hex: 0xd62728),
    PlotColor(hex: 0x9467bd), PlotColor(hex: 0x8c564b), PlotColor(hex: 0xe377c2), PlotColor(hex: 0x7f7f7f),
    PlotColor(hex: 0xbcbd22), PlotColor(hex: 0x17becf),
  ]

  /// The conventional colour of a ZTF filter by its `fid` (1 = g: green, 2 = r: red, 3 = i: gold), as the
  /// ZTF marshals draw light curves; other ids get grey.
  public static func ztfFilter(fid: Int) -> PlotColor {
    switch fid {
    case 1: return PlotColor(hex: 0x28a745)
    case 2: return PlotColor(hex: 0xdc3545)
    case 3: return PlotColor(hex: 0xe0b800)
    default: return midGray
    }
  }
}
