import Foundation

/// A 2-D image from the primary HDU of a FITS file.
///
/// Why our own reader rather than cfitsio: alert cutouts are tiny single-HDU images (a 2880-byte header and
/// 63x63 float32 pixels), and reading them takes about 150 lines, whereas cfitsio brings global state
/// (its file-handle table and error stack) that is awkward from concurrent Swift code, and aborts rather than
/// throws on some malformed input.
///
/// `pixels` is row-major exactly as the file stores them and as astropy/numpy read them: `pixels[r * width + c]`
/// is `hdu.data[r, c]`, row 0 being the first row in the file (no flip). Width is NAXIS1 (the fast axis), height
/// NAXIS2. Values are physical: `BZERO + BSCALE * raw`, and integer pixels equal to `BLANK` become NaN.
public struct FITSImage: Sendable, Equatable {
  public var width: Int
  public var height: Int
  public var pixels: [Float]
  /// Header values by keyword (first occurrence), strings unquoted, without comments. COMMENT/HISTORY omitted.
  public var header: [String: String]

  public init(width: Int, height: Int, pixels: [Float], header: [String: String] = [:]) {
    precondition(width >= 0 && height >= 0 && pixels.count == width * height, "FITSImage: \(pixels.count) pixels for \(width)x\(height)")
    self.width = width
    self.height = height
    self.pixels = pixels
    self.header = header
  }

  /// The pixel at row `row` (0 = first row in the file), column `column`.
  public subscript(row: Int, column: Int) -> Float { pixels[row * width + column] }

  /// Limits that reject absurd headers before anything is allocated.
  public static let maximumAxisLength = 1 << 16
  public static let maximumPixelCount = 1 << 28
  static let maximumHeaderBlocks = 1000

  /// Parses FITS bytes. Throws `AlertError` naming `source` on any malformed or unsupported input.
  public init(data: Data, source: String = "FITS") throws {
    self = try data.withUnsafeBytes { try FITSImage(bytes: $0, source: source) }
  }

  /// Reads a (not compressed) FITS file.
  public static func read(path: String) throws -> FITSImage {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw AlertError(source: path, reason: "cannot read file: \(error.localizedDescription)")
    }
    return try FITSImage(data: data, source: path)
  }

  /// Parses FITS bytes.
  public init(bytes: UnsafeRawBufferPointer, source: String = "FITS") throws {
    func fail(_ reason: String) -> AlertError { AlertError(source: source, reason: "FITS: " + reason) }
    let block = 2880
    guard bytes.count >= block else {
      throw fail("\(bytes.count) bytes is shorter than one 2880-byte header block")
    }

    // Header: 80-character cards in 2880-byte blocks, up to the END card. Parsed on the bytes (no Foundation
    // string work per card): the header is most of the cost of reading a 63x63 stamp otherwise.
    var header: [String: String] = [:]
    var card = 0
    var dataOffset = -1
    while (card + 1) * 80 <= bytes.count {
      guard card < Self.maximumHeaderBlocks * 36 else { throw fail("no END card in the first \(Self.maximumHeaderBlocks) header blocks") }
      let text = UnsafeRawBufferPointer(rebasing: bytes[(card * 80)..<(card * 80 + 80)])
      for b in text where b < 0x20 || b > 0x7e {
        throw fail("header card \(card) contains the non-ASCII byte 0x\(String(b, radix: 16))")
      }
      var keywordEnd = 8
      while keywordEnd > 0 && text[keywordEnd - 1] == 0x20 { keywordEnd -= 1 }
      let keyword = String(decoding: UnsafeRawBufferPointer(rebasing: text[0..<keywordEnd]), as: UTF8.self)
      if card == 0 {
        guard keyword == "SIMPLE", Self.value(of: text) == "T" else {
          let shown = String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespaces).prefix(30)
          throw fail("not a FITS file: the first card is '\(shown)', expected SIMPLE = T")
        }
      }
      card += 1
      if keyword == "END" {
        dataOffset = (card * 80 + block - 1) / block * block
        break
      }
      if keyword.isEmpty || keyword == "COMMENT" || keyword == "HISTORY" { continue }
      if header[keyword] == nil, let v = Self.value(of: text) { header[keyword] = v }
    }
    guard dataOffset >= 0 else { throw fail("no END card in the header (\(card) cards, \(bytes.count) bytes)") }

    func integer(_ key: String) throws -> Int {
      guard let text = header[key] else { throw fail("missing \(key)") }
      guard let v = Int(text) else { throw fail("\(key) = '\(text)' is not an integer") }
      return v
    }
    func real(_ key: String, default d: Double) throws -> Double {
      guard let text = header[key] else { return d }
      guard let v = Double(text.replacingOccurrences(of: "D", with: "E")), v.isFinite else {
        throw fail("\(key) = '\(text)' is not a number")
      }
      return v
    }
    let bitpix = try integer("BITPIX")
    guard [8, 16, 32, 64, -32, -64].contains(bitpix) else {
      throw fail("unsupported BITPIX \(bitpix) (expected 8, 16, 32, 64, -32 or -64)")
    }
    let naxis = try integer("NAXIS")
    guard naxis == 2 else { throw fail("NAXIS = \(naxis); only 2-D images (NAXIS = 2) are supported") }
    let width = try integer("NAXIS1")
    let height = try integer("NAXIS2")
    guard (0...Self.maximumAxisLength).contains(width), (0...Self.maximumAxisLength).contains(height),
      width * height <= Self.maximumPixelCount
    else { throw fail("absurd image size NAXIS1 = \(width), NAXIS2 = \(height)") }
    let bscale = try real("BSCALE", default: 1)
    let bzero = try real("BZERO", default: 0)
    let blank: Int64? = bitpix > 0 ? header["BLANK"].flatMap { Int64($0) } : nil

    let count = width * height
    let itemSize = abs(bitpix) / 8
    let available = max(0, bytes.count - dataOffset)
    guard available >= count * itemSize else {
      throw fail("data truncated: the header declares \(width)x\(height) pixels of BITPIX \(bitpix) "
        + "(\(count * itemSize) bytes) but only \(available) bytes follow the \(dataOffset)-byte header")
    }
    let data = UnsafeRawBufferPointer(rebasing: bytes[dataOffset..<(dataOffset + count * itemSize)])
    self.pixels = Self.convert(data, count: count, bitpix: bitpix, bscale: bscale, bzero: bzero, blank: blank)
    self.width = width
    self.height = height
    self.header = header
  }

  /// The value field of a card (after "= " in columns 9-10), strings unquoted, comments dropped. Lenient about
  /// columns: ZTF writes `SIMPLE  =  T`, with the logical value in column 12 rather than the standard's 30.
  static func value(of card: UnsafeRawBufferPointer) -> String? {
    let space = UInt8(ascii: " ")
    let quote = UInt8(ascii: "'")
    guard card.count >= 10, card[8] == UInt8(ascii: "="), card[9] == space else { return nil }
    var i = 10
    while i < card.count && card[i] == space { i += 1 }
    if i < card.count && card[i] == quote {
      var s: [UInt8] = []
      i += 1
      while i < card.count {
        if card[i] == quote {
          if i + 1 < card.count && card[i + 1] == quote {
            s.append(quote)
            i += 2
            continue
          }
          break
        }
        s.append(card[i])
        i += 1
      }
      while s.last == space { s.removeLast() }
      return String(decoding: s, as: UTF8.self)
    }
    var end = i
    while end < card.count && card[end] != UInt8(ascii: "/") { end += 1 }
    while end > i && card[end - 1] == space { end -= 1 }
    return String(decoding: UnsafeRawBufferPointer(rebasing: card[i..<end]), as: UTF8.self)
  }

  /// Big-endian raw values -> physical Float values.
  private static func convert(
    _ data: UnsafeRawBufferPointer, count: Int, bitpix: Int, bscale: Double, bzero: Double, blank: Int64?
  ) -> [Float] {
    let scaled = bscale != 1 || bzero != 0
    return [Float](unsafeUninitializedCapacity: count) { out, initialized in
      switch bitpix {
      case -32:
        for i in 0..<count {
          out[i] = Float(bitPattern: UInt32(bigEndian: data.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }
        if scaled { for i in 0..<count { out[i] = Float(bzero + bscale * Double(out[i])) } }
      case -64:
        for i in 0..<count {
          let v = Double(bitPattern: UInt64(bigEndian: data.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
          out[i] = Float(bzero + bscale * v)
        }
      default:
        for i in 0..<count {
          let raw: Int64
          switch bitpix {
          case 8: raw = Int64(data[i])
          case 16: raw = Int64(Int16(bitPattern: UInt16(bigEndian: data.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
          case 32: raw = Int64(Int32(bitPattern: UInt32(bigEndian: data.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
          default: raw = Int64(bitPattern: UInt64(bigEndian: data.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
          }
          out[i] = raw == blank ? .nan : Float(bzero + bscale * Double(raw))
        }
      }
      initialized = count
    }
  }
}
