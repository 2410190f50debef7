import _CDeflate
import _CZlib
import Foundation

/// Why inflating failed: truncated input, corrupt data, or output beyond the size limit.
struct ZlibFailure: Error {
  let reason: String
}

/// Inflate for the two formats alert packets use: raw deflate (Avro's `deflate` codec) and gzip (cutouts). libdeflate
/// inflates well-formed streams (two to three times zlib's speed: inflating cutouts was half the time of scoring
/// alerts); a stream it refuses, or one with further gzip members or trailing bytes, goes through zlib's streaming
/// inflate, which says what is wrong (truncated, corrupt, bad check, too large) or handles the members.
enum Zlib {
  enum Format {
    /// Raw deflate, no header (window bits -15).
    case raw
    /// gzip member(s) (window bits 16 + 15).
    case gzip
  }

  /// Inflates `input` into `output` (replacing its contents; its capacity is reused), growing the output as
  /// needed up to `limit` bytes. Throws when the stream is corrupt, ends before its end marker, has trailing
  /// garbage, or would inflate beyond `limit` (a zip bomb).
  static func inflate(
    _ input: UnsafeRawBufferPointer, format: Format, limit: Int, sizeHint: Int, into output: inout [UInt8]
  ) throws {
    guard input.count <= Int(UInt32.max) else { throw ZlibFailure(reason: "input of \(input.count) bytes is too large") }
    guard let inputBase = input.baseAddress, input.count > 0 else {
      throw ZlibFailure(reason: "empty stream")
    }
    if inflateWhole(input, format: format, limit: limit, sizeHint: sizeHint, into: &output) { return }
    // z_stream must stay at one address between calls (zlib keeps a back pointer and checks it).
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer { stream.deallocate() }
    let windowBits: Int32 = format == .raw ? -15 : 16 + 15
    guard ztfalerts_inflate_init2(stream, windowBits) == Z_OK else { throw ZlibFailure(reason: "inflateInit2 failed") }
    defer { inflateEnd(stream) }

    stream.pointee.next_in = UnsafeMutablePointer(mutating: inputBase.assumingMemoryBound(to: UInt8.self))
    stream.pointee.avail_in = UInt32(input.count)

    var capacity = max(1024, min(sizeHint, limit))
    grow(&output, to: capacity, keeping: 0)
    var produced = 0
    while true {
      if produced == capacity {
        guard capacity < limit else {
          throw ZlibFailure(reason: "inflated size exceeds the limit of \(limit) bytes")
        }
        capacity = min(limit, capacity * 2)
        grow(&output, to: capacity, keeping: produced)
      }
      let room = min(capacity - produced, Int(UInt32.max))
      let availableBefore = stream.pointee.avail_in
      let status: Int32 = output.withUnsafeMutableBufferPointer { out in
        stream.pointee.next_out = out.baseAddress! + produced
        stream.pointee.avail_out = UInt32(room)
        return _CZlib.inflate(stream, Z_NO_FLUSH)
      }
      produced += room - Int(stream.pointee.avail_out)
      switch status {
      case Z_STREAM_END:
        let left = Int(stream.pointee.avail_in)
        if left == 0 {
          output.removeLast(output.count - produced)
          return
        }
        let rest = UnsafeRawBufferPointer(rebasing: input[(input.count - left)...])
        if format == .gzip && left >= 2 && rest[0] == 0x1f && rest[1] == 0x8b {
          guard inflateReset(stream) == Z_OK else { throw ZlibFailure(reason: "inflateReset failed") }
          continue  // another gzip member follows (gzip allows concatenation)
        }
        throw ZlibFailure(reason: "\(left) bytes of trailing garbage after the end of the compressed stream")
      case Z_OK, Z_BUF_ERROR:
        if stream.pointee.avail_out == 0 { continue }  // output full: grow and go on
        if stream.pointee.avail_in == 0 || (status == Z_BUF_ERROR && stream.pointee.avail_in == availableBefore) {
          throw ZlibFailure(
            reason: "truncated stream: the input ended after \(input.count) bytes (\(produced) inflated) "
              + "before the end of the compressed data")
        }
      case Z_DATA_ERROR:
        throw ZlibFailure(reason: "corrupt data: \(message(stream) ?? "invalid deflate data") after \(produced) inflated bytes")
      case Z_NEED_DICT:
        throw ZlibFailure(reason: "corrupt data: stream asks for a preset dictionary")
      case Z_MEM_ERROR:
        throw ZlibFailure(reason: "zlib ran out of memory")
      default:
        throw ZlibFailure(reason: "zlib error \(status)\(message(stream).map { ": " + $0 } ?? "")")
      }
    }
  }

  /// libdeflate's whole-buffer inflate into `output`; false, with `output` in any state, unless the input is exactly
  /// one well-formed stream (one gzip member) that inflates to at most `limit` bytes.
  private static func inflateWhole(
    _ input: UnsafeRawBufferPointer, format: Format, limit: Int, sizeHint: Int, into output: inout [UInt8]
  ) -> Bool {
    guard let decompressor = libdeflate_alloc_decompressor() else { return false }
    defer { libdeflate_free_decompressor(decompressor) }
    var capacity = max(1024, min(sizeHint, limit))
    while true {
      grow(&output, to: capacity, keeping: 0)
      var consumed = 0, produced = 0
      let result = output.withUnsafeMutableBytes { out in
        format == .gzip
          ? libdeflate_gzip_decompress_ex(decompressor, input.baseAddress, input.count, out.baseAddress, capacity, &consumed, &produced)
          : libdeflate_deflate_decompress_ex(decompressor, input.baseAddress, input.count, out.baseAddress, capacity, &consumed, &produced)
      }
      switch result {
      case LIBDEFLATE_SUCCESS:
        guard consumed == input.count else { return false }
        output.removeLast(output.count - produced)
        return true
      case LIBDEFLATE_INSUFFICIENT_SPACE:
        guard capacity < limit else { return false }
        capacity = min(limit, capacity * 2)
      default:
        return false
      }
    }
  }

  /// Makes `output` at least `capacity` bytes long, keeping its first `produced` bytes (memcpy/memset rather than
  /// element-wise appends: buffers reach megabytes).
  private static func grow(_ output: inout [UInt8], to capacity: Int, keeping produced: Int) {
    guard output.count < capacity else { return }
    let old = output
    output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
      let base = buffer.baseAddress!
      if produced > 0 { old.withUnsafeBufferPointer { _ = memcpy(base, $0.baseAddress!, produced) } }
      memset(base + produced, 0, capacity - produced)
      count = capacity
    }
  }

  private static func message(_ stream: UnsafeMutablePointer<z_stream>) -> String? {
    stream.pointee.msg.map { String(cString: $0) }
  }
}

/// gzip decompression of cutout stamps.
public enum Gzip {
  /// Stamps are ~20 kB of FITS; anything inflating beyond this is refused as a zip bomb.
  public static let defaultLimit = 64 << 20

  /// Decompresses a gzip stream. Throws `AlertError` naming `source` when it is truncated, corrupt, or inflates
  /// beyond `limit` bytes.
  public static func decompress(_ data: Data, source: String = "gzip", limit: Int = defaultLimit) throws -> Data {
    var out: [UInt8] = []
    try decompress(data, source: source, limit: limit, into: &out)
    return Data(out)
  }

  /// Decompresses into a reusable buffer (its contents are replaced).
  public static func decompress(_ data: Data, source: String, limit: Int = defaultLimit, into output: inout [UInt8]) throws {
    do {
      try data.withUnsafeBytes { input in
        // The gzip trailer's last 4 bytes hold the inflated size mod 2^32: a good first guess for the buffer,
        // trusted only up to 16x the input (a corrupt trailer must not make us allocate the whole limit).
        var hint = 4 * input.count
        if input.count >= 18 {
          let size = Int(UInt32(littleEndian: input.loadUnaligned(fromByteOffset: input.count - 4, as: UInt32.self)))
          hint = min(size + 1, 16 * input.count)
        }
        try Zlib.inflate(input, format: .gzip, limit: limit, sizeHint: hint, into: &output)
      }
    } catch let z as ZlibFailure {
      throw AlertError(source: source, reason: "gzip: \(z.reason)")
    }
  }
}
