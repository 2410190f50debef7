import AstroKernels
import AstroKernelsC
import Foundation

/// How each cutout is normalised before it goes into a triplet. Raw values `row`/`global` (for command lines).
public enum TripletNormalization: String, Sendable, CaseIterable {
  /// Each image row scaled to unit L2 norm, as `tf.keras.utils.normalize(cutout)` does on a 2-D array
  /// (last axis); all-zero rows stay zero. braai d6_m7's preprocessing: reproduces the production `drb`.
  case row
  /// The whole cutout divided by its L2 norm (all-zero stays zero). Later braai models (d6_m9).
  case global
}

/// braai's input: the science, template and difference cutouts of an alert stacked as a size x size x 3 image.
///
/// For each cutout (braai/braai.py, as used to train d6_m7, the model behind the production `drb`):
/// decompress, read the FITS image, NaN -> 0, normalise, then pad to size x size bottom/right with 1e-9.
/// Layout is HWC, row-major: `triplet[(r * size + c) * 3 + channel]` with channel 0 science, 1 template,
/// 2 difference, and pixel (r, c) is FITS row r, column c exactly as astropy reads it (`hdu.data[r, c]`,
/// the first row in the file is row 0; nothing is flipped).
public enum Triplet {
  public typealias Normalization = TripletNormalization

  /// Value of the padding added bottom/right to cutouts smaller than `size` (after normalisation).
  public static let padValue: Float = 1e-9

  /// The triplet of `alert` as size*size*3 floats (HWC).
  ///
  /// Throws `AlertError` naming the packet and cutout when a cutout is missing, does not decompress or parse,
  /// is empty, is larger than size x size, holds an infinite pixel, or when the three cutouts have different shapes.
  public static func make(_ alert: ZTFAlert, normalization: Normalization = .row, size: Int = 63) throws -> [Float] {
    precondition(size > 0, "Triplet.make: size must be positive, got \(size)")
    var out = [Float](repeating: 0, count: size * size * 3)
    try out.withUnsafeMutableBufferPointer { try write(alert, normalization: normalization, size: size, into: $0) }
    return out
  }

  /// Writes the triplet of `alert` into `out` (size*size*3 floats), e.g. one slot of a batch buffer.
  public static func write(
    _ alert: ZTFAlert, normalization: Normalization = .row, size: Int = 63, into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    var scratch: [UInt8] = []
    func image(_ cutout: Cutout?, _ kind: Cutout.Kind) throws -> FITSImage {
      guard let cutout else { throw AlertError(source: alert.source, reason: "candid \(alert.candid) has no \(kind.rawValue)") }
      return try cutout.image(scratch: &scratch)
    }
    let science = try image(alert.cutoutScience, .science)
    let template = try image(alert.cutoutTemplate, .template)
    let difference = try image(alert.cutoutDifference, .difference)
    try write(
      science: science, template: template, difference: difference, normalization: normalization, size: size,
      source: alert.source, into: out)
  }

  /// The triplet of three already-decoded cutouts (same rules as `make(_:normalization:size:)`).
  public static func make(
    science: FITSImage, template: FITSImage, difference: FITSImage, normalization: Normalization = .row,
    size: Int = 63, source: String = "triplet"
  ) throws -> [Float] {
    precondition(size > 0, "Triplet.make: size must be positive, got \(size)")
    var out = [Float](repeating: 0, count: size * size * 3)
    try out.withUnsafeMutableBufferPointer {
      try write(
        science: science, template: template, difference: difference, normalization: normalization, size: size,
        source: source, into: $0)
    }
    return out
  }

  /// Writes the triplet of three decoded cutouts into `out` (size*size*3 floats).
  public static func write(
    science: FITSImage, template: FITSImage, difference: FITSImage, normalization: Normalization = .row,
    size: Int = 63, source: String = "triplet", into out: UnsafeMutableBufferPointer<Float>
  ) throws {
    precondition(out.count == size * size * 3, "Triplet.write: buffer holds \(out.count) floats, need \(size * size * 3)")
    let images = [(Cutout.Kind.science, science), (.template, template), (.difference, difference)]
    for (kind, image) in images {
      guard image.width > 0 && image.height > 0 else {
        throw AlertError(
          source: source, reason: "\(kind.rawValue) is empty (\(image.height) rows x \(image.width) columns)")
      }
      guard image.width <= size && image.height <= size else {
        throw AlertError(
          source: source,
          reason: "\(kind.rawValue) is \(image.height) rows x \(image.width) columns, larger than \(size)x\(size)")
      }
      // NaN pixels are masked (set to 0, as braai does); an infinite one would make its whole row (or, with global
      // normalisation, the whole cutout) NaN after normalising, so it is this alert's error, not the batch's.
      if let i = image.pixels.firstIndex(where: { $0.isInfinite }) {
        throw AlertError(
          source: source,
          reason: "\(kind.rawValue) pixel (row \(i / image.width), column \(i % image.width)) is \(image.pixels[i])")
      }
    }
    guard science.width == template.width, science.width == difference.width,
      science.height == template.height, science.height == difference.height
    else {
      let shapes = images.map { "\($0.0.rawValue) \($0.1.height)x\($0.1.width)" }.joined(separator: ", ")
      throw AlertError(source: source, reason: "cutouts have different shapes (rows x columns): \(shapes)")
    }
    for (channel, (_, image)) in images.enumerated() {
      writeChannel(
        image, channel: channel, channels: 3, normalization: normalization, rows: size, columns: size, into: out)
    }
  }

  /// One cutout with NaN -> 0 and `normalization` applied: height*width floats, row-major, no padding.
  public static func normalized(_ image: FITSImage, normalization: Normalization) -> [Float] {
    var out = [Float](repeating: 0, count: image.width * image.height)
    out.withUnsafeMutableBufferPointer {
      writeChannel(
        image, channel: 0, channels: 1, normalization: normalization, rows: image.height, columns: image.width,
        into: $0)
    }
    return out
  }

  /// NaN -> 0, normalise (norms in Double), pad with `padValue` to rows x columns, and store the result as
  /// channel `channel` of an HWC buffer with `channels` channels. The caller has checked the image fits.
  static func writeChannel(
    _ image: FITSImage, channel: Int, channels: Int, normalization: Normalization, rows: Int, columns: Int,
    into out: UnsafeMutableBufferPointer<Float>
  ) {
    let width = image.width
    let height = image.height
    // The sums and divisions run in the C loops of the active ISA (vectorised: a braai triplet is 11,907 of each).
    let isa = KernelISA.active.code
    image.pixels.withUnsafeBufferPointer { px in
      var globalNorm = 1.0
      if normalization == .global {
        let sum = px.isEmpty ? 0 : astro_sum_of_squares(px.baseAddress!, px.count, isa)
        globalNorm = sum > 0 ? sum.squareRoot() : 1
      }
      for r in 0..<rows {
        let o = r * columns * channels + channel
        guard r < height else {
          for c in 0..<columns { out[o + c * channels] = padValue }
          continue
        }
        let row = px.baseAddress! + r * width
        var norm = globalNorm
        if normalization == .row {
          let sum = astro_sum_of_squares(row, width, isa)
          norm = sum > 0 ? sum.squareRoot() : 1
        }
        astro_divide_by_norm(row, width, norm, out.baseAddress! + o, channels, isa)
        for c in width..<columns { out[o + c * channels] = padValue }
      }
    }
  }

  /// Edge TPU input bytes: `rint(x * 128 + 128)` (round half to even, like numpy's rint) clamped to 0...255,
  /// computed in Float like the float32 numpy expression. NaN maps to 128 (the zero point).
  public static func edgeTPUBytes(_ triplet: [Float]) -> [UInt8] {
    triplet.withUnsafeBufferPointer { src in
      [UInt8](unsafeUninitializedCapacity: src.count) { dst, initialized in
        for i in 0..<src.count {
          let v = (src[i] * 128 + 128).rounded(.toNearestOrEven)
          dst[i] = v.isNaN ? 128 : UInt8(min(max(v, 0), 255))
        }
        initialized = src.count
      }
    }
  }
}
