import Foundation
import TestSupport
import XCTest
import ZTFAlerts
import _CZlib

/// Shared inputs and small writers (Avro, gzip, FITS) for building valid and corrupt packets in memory.
enum Fixtures {
  static let alertFolder = "data/ztf-alerts"

  /// One row of `expected.csv`.
  struct Expected {
    let file: String
    let candid: Int64
    let objectId: String
    let schemavsn: String
    let drb: Double?
    let drbversion: String?
    let rb: Double
    let prvCount: Int
    let ra: Double
    let dec: Double
    let jd: Double
  }

  /// The folder of real packets, or XCTSkip when `../shared` is absent.
  static func folder() throws -> String { try SharedData.path(alertFolder) }

  static func packetPaths() throws -> [String] {
    let dir = try folder()
    let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".avro") }.sorted()
    return names.map { dir + "/" + $0 }
  }

  static func expected() throws -> [Expected] {
    let text = try String(contentsOfFile: try SharedData.path(alertFolder + "/expected.csv"), encoding: .utf8)
    var lines = text.split(whereSeparator: \.isNewline).map(String.init)  // the csv has CRLF line ends
    XCTAssertEqual(lines.removeFirst(), "file,candid,objectId,schemavsn,drb,drbversion,rb,n_prv_candidates,ra,dec,jd")
    return lines.map { line in
      let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      return Expected(
        file: f[0], candid: Int64(f[1])!, objectId: f[2], schemavsn: f[3], drb: Double(f[4]),
        drbversion: f[5].isEmpty ? nil : f[5], rb: Double(f[6])!, prvCount: Int(f[7])!, ra: Double(f[8])!,
        dec: Double(f[9])!, jd: Double(f[10])!)
    }
  }

  /// A real packet's bytes (the first in name order unless `name` is given).
  static func packet(_ name: String? = nil) throws -> (path: String, data: Data) {
    let path = try name.map { try folder() + "/" + $0 } ?? packetPaths()[0]
    return (path, try Data(contentsOf: URL(fileURLWithPath: path)))
  }

  /// The peers' Python with fastavro/astropy/numpy, or nil.
  static var python: String? {
    pythonCandidates.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  static var pythonCandidates: [String] { [SharedData.peerPython, "/work/peers-venv/bin/python"] }

  /// Runs `script` with the peers' Python; returns stdout. Fails the test on a non-zero exit.
  static func runPython(_ python: String, _ script: String, arguments: [String] = []) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", script] + arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw XCTSkip("python failed (\(process.terminationStatus)): \(String(decoding: stderr, as: UTF8.self).suffix(2000))")
    }
    return String(decoding: stdout, as: UTF8.self)
  }

  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ztfalerts-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}

/// SplitMix64: deterministic, seedable, for fuzzing.
struct SeededRandom: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9e37_79b9_7f4a_7c15
    var z = state
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }
}

/// A minimal Avro binary encoder: the inverse of the decoder, for re-encoding decoded packets with changes.
enum AvroWriter {
  static func long(_ v: Int64, into out: inout [UInt8]) {
    var u = UInt64(bitPattern: (v << 1) ^ (v >> 63))
    while u >= 0x80 {
      out.append(UInt8(u & 0x7f) | 0x80)
      u >>= 7
    }
    out.append(UInt8(u))
  }

  static func bytes<C: Collection>(_ b: C, into out: inout [UInt8]) where C.Element == UInt8 {
    long(Int64(b.count), into: &out)
    out.append(contentsOf: b)
  }

  static func encode(_ value: AvroValue, _ schema: AvroSchema, into out: inout [UInt8]) {
    switch (schema, value) {
    case (.null, .null): break
    case (.boolean, .bool(let b)): out.append(b ? 1 : 0)
    case (.int, .int(let v)): long(Int64(v), into: &out)
    case (.long, .long(let v)): long(v, into: &out)
    case (.float, .float(let v)): withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) }
    case (.double, .double(let v)): withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) }
    case (.bytes, .bytes(let d)): bytes(d, into: &out)
    case (.string, .string(let s)): bytes(Array(s.utf8), into: &out)
    case (.record(let layout), .record(let r)):
      for (i, s) in layout.fieldSchemas.enumerated() { encode(r.values[i], s, into: &out) }
    case (.enumeration(_, let symbols), .enumSymbol(let s)): long(Int64(symbols.firstIndex(of: s)!), into: &out)
    case (.array(let items), .array(let a)):
      if !a.isEmpty {
        long(Int64(a.count), into: &out)
        for v in a { encode(v, items, into: &out) }
      }
      out.append(0)
    case (.map(let values), .map(let m)):
      if !m.isEmpty {
        long(Int64(m.count), into: &out)
        for (k, v) in m.sorted(by: { $0.key < $1.key }) {
          bytes(Array(k.utf8), into: &out)
          encode(v, values, into: &out)
        }
      }
      out.append(0)
    case (.union(let branches), _):
      let i = branches.firstIndex { matches(value, $0) }!
      long(Int64(i), into: &out)
      encode(value, branches[i], into: &out)
    case (.fixed, .fixed(let d)): out.append(contentsOf: d)
    default: fatalError("AvroWriter: value \(value) does not match schema \(schema)")
    }
  }

  static func matches(_ value: AvroValue, _ schema: AvroSchema) -> Bool {
    switch (schema, value) {
    case (.null, .null), (.boolean, .bool), (.int, .int), (.long, .long), (.float, .float), (.double, .double),
      (.bytes, .bytes), (.string, .string), (.record, .record), (.enumeration, .enumSymbol), (.array, .array),
      (.map, .map), (.fixed, .fixed):
      return true
    default: return false
    }
  }

  /// A container file: header (metadata, sync) and one block per element of `blocks`.
  static func container(
    metadata: [(String, [UInt8])], sync: [UInt8], blocks: [(count: Int, data: [UInt8])]
  ) -> Data {
    var out: [UInt8] = Array("Obj".utf8) + [1]
    long(Int64(metadata.count), into: &out)
    for (k, v) in metadata {
      bytes(Array(k.utf8), into: &out)
      bytes(v, into: &out)
    }
    out.append(0)
    out += sync
    for block in blocks {
      long(Int64(block.count), into: &out)
      long(Int64(block.data.count), into: &out)
      out += block.data
      out += sync
    }
    return Data(out)
  }

  /// Re-encodes `records` as a container with the writer schema `schemaJSON`.
  static func container(
    schemaJSON: String, schema: AvroSchema, records: [AvroValue], codec: String = "null", sync: [UInt8]? = nil
  ) -> Data {
    var body: [UInt8] = []
    for r in records { encode(r, schema, into: &body) }
    if codec == "deflate" { body = Compression.deflate(body, gzip: false) }
    let marker = sync ?? (0..<16).map { UInt8($0 * 7 + 3) }
    return container(
      metadata: [("avro.codec", Array(codec.utf8)), ("avro.schema", Array(schemaJSON.utf8))], sync: marker,
      blocks: [(records.count, body)])
  }
}

/// zlib compression for building test inputs (raw deflate or gzip).
enum Compression {
  static func deflate(_ input: [UInt8], gzip: Bool) -> [UInt8] {
    // One address for the stream throughout (zlib checks its back pointer).
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    defer { stream.deallocate() }
    precondition(ztfalerts_deflate_init2(stream, 6, gzip ? 16 + 15 : -15) == Z_OK)
    defer { deflateEnd(stream) }
    var out = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(input.count))) + 64)
    var input = input
    let produced: Int = input.withUnsafeMutableBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        stream.pointee.next_in = src.baseAddress
        stream.pointee.avail_in = uInt(src.count)
        stream.pointee.next_out = dst.baseAddress
        stream.pointee.avail_out = uInt(dst.count)
        precondition(_CZlib.deflate(stream, Z_FINISH) == Z_STREAM_END)
        return Int(stream.pointee.total_out)
      }
    }
    return Array(out[0..<produced])
  }
}

/// A FITS writer for hand-made test images.
enum FITSWriter {
  static func card(_ text: String) -> [UInt8] {
    Array(text.padding(toLength: 80, withPad: " ", startingAt: 0).utf8)
  }

  /// A primary HDU with `cards` (keyword-value lines, without END) and `data`, padded to 2880-byte blocks.
  static func file(cards: [String], data: [UInt8]) -> [UInt8] {
    var header = cards.flatMap(card) + card("END")
    while header.count % 2880 != 0 { header.append(0x20) }
    var body = data
    while body.count % 2880 != 0 { body.append(0) }
    return header + body
  }

  /// Float32 (BITPIX -32) big-endian image, rows in order.
  static func float32(width: Int, height: Int, pixels: [Float]) -> [UInt8] {
    var data: [UInt8] = []
    for p in pixels { withUnsafeBytes(of: p.bitPattern.bigEndian) { data.append(contentsOf: $0) } }
    return file(
      cards: ["SIMPLE  =                    T", "BITPIX  =                  -32", "NAXIS   =                    2",
        "NAXIS1  = \(String(repeating: " ", count: 20 - String(width).count))\(width)",
        "NAXIS2  = \(String(repeating: " ", count: 20 - String(height).count))\(height)"],
      data: data)
  }
}

extension XCTestCase {
  /// Asserts that `body` throws an `AlertError` whose description contains every string in `needles`.
  func assertAlertError(
    _ needles: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void
  ) {
    do {
      try body()
      XCTFail("expected an error containing \(needles)", file: file, line: line)
    } catch let e as AlertError {
      for n in needles {
        XCTAssertTrue(e.description.contains(n), "error '\(e.description)' lacks '\(n)'", file: file, line: line)
      }
    } catch {
      XCTFail("expected AlertError, got \(error)", file: file, line: line)
    }
  }
}
