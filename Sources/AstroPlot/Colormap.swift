/// Maps a normalised value in [0, 1] to a colour, for drawing grayscale data (cutouts, heat maps).
public enum Colormap: String, CaseIterable, Sendable, Codable {
  /// Black (0) to white (1).
  case gray
  /// White (0) to black (1): dark sources on a light page.
  case grayInverted
  /// matplotlib's perceptually uniform "viridis" (dark purple to yellow): equal steps in value look like equal
  /// steps in brightness, and it survives grayscale printing and colour-blindness.
  case viridis

  /// The colour for `value` (clamped to [0, 1]; NaN gives the colour of 0).
  public func color(at value: Double) -> PlotColor {
    let t = value.isNaN ? 0 : min(max(value, 0), 1)
    switch self {
    case .gray:
      let v = UInt8((t * 255).rounded())
      return PlotColor(red: v, green: v, blue: v)
    case .grayInverted:
      let v = UInt8(((1 - t) * 255).rounded())
      return PlotColor(red: v, green: v, blue: v)
    case .viridis:
      // Linear interpolation between viridis sampled at 0, 0.1, ..., 1 (matplotlib's table at those points).
      let position = t * Double(Self.viridisAnchors.count - 1)
      let i = min(Int(position), Self.viridisAnchors.count - 2)
      let f = position - Double(i)
      let a = Self.viridisAnchors[i], b = Self.viridisAnchors[i + 1]
      func lerp(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) + (Double(y) - Double(x)) * f).rounded()) }
      return PlotColor(red: lerp(a.red, b.red), green: lerp(a.green, b.green), blue: lerp(a.blue, b.blue))
    }
  }

  private static let viridisAnchors: [PlotColor] = [
    PlotColor(hex: 0x440154), PlotColor(hex: 0x482475), PlotColor(hex: 0x414487), PlotColor(hex: 0x355f8d),
    PlotColor(hex: 0x2a788e), PlotColor(hex: 0x21918c), PlotColor(hex: 0x22a884), PlotColor(hex: 0x44bf70),
    PlotColor(hex: 0x7ad151), PlotColor(hex: 0xbddf26), PlotColor(hex: 0xfde725),
  ]
}
