import Foundation
import XCTest
import ZTFAlerts

/// Corrupt packets built from a real one: each throws an `AlertError` naming the file and the reason; none crashes.
final class CorruptInputTests: XCTestCase {
  private var fileName = ""
  private var data = Data()
  private var container: AvroContainer!
  private var headerEnd = 0

  override func setUpWithError() throws {
    let (path, bytes) = try Fixtures.packet("1105522281015015000.avro")
    fileName = (path as NSString).lastPathComponent
    data = bytes
    container = try AvroContainer(data: data, source: path)
    // The header ends with the first copy of the sync marker.
    let sync = Array(container.syncMarker)
    let all = Array(data)
    headerEnd = (4..<(all.count - 16)).first { Array(all[$0..<($0 + 16)]) == sync }! + 16
  }

  private func read(_ bytes: Data) throws -> [ZTFAlert] { try AlertReader(data: bytes, source: "/alerts/" + fileName).alerts }

  private var schemaJSON: String { String(decoding: container.metadata["avro.schema"]!, as: UTF8.self) }

  func testTruncatedPackets() throws {
    let n = data.count
    let cases: [(Int, [String])] = [
      (0, ["not an Avro container file", "only 0 bytes"]),
      (3, ["not an Avro container file"]),
      (5, ["header metadata", "truncated"]),
      (40, ["header metadata", "truncated"]),
      (headerEnd / 2, ["header metadata: [\"avro.schema\"]: truncated or corrupt: bytes length"]),
      (headerEnd - 8, ["header: truncated sync marker (8 of 16 bytes)"]),
      (headerEnd + 1, ["block 0: truncated block size"]),
      (headerEnd + 5000, ["block 0: block data truncated"]),
      (n - 17, ["block 0: block data truncated"]),
      (n - 16, ["block 0: truncated sync marker after the block (0 of 16 bytes)"]),
      (n - 1, ["block 0: truncated sync marker after the block (15 of 16 bytes)"]),
    ]
    for (length, needles) in cases {
      assertAlertError([fileName] + needles) { _ = try read(data.prefix(length)) }
    }
    // Cut exactly after the header it is a valid container with no blocks.
    XCTAssertEqual(try read(data.prefix(headerEnd)).count, 0)
    // Every cut length in steps, including inside every field of the record: an error, never a crash.
    for length in stride(from: 0, to: n, by: 97) where length != headerEnd {
      assertAlertError([fileName]) { _ = try read(data.prefix(length)) }
    }
  }

  /// A block whose declared size is consistent but whose record data stops inside the candidate.
  func testTruncatedRecordInsideBlock() throws {
    var body: [UInt8] = []
    AvroWriter.encode(container.records[0], container.schema, into: &body)
    let cut = Array(body.prefix(300))
    let bytes = AvroWriter.container(
      metadata: [("avro.schema", Array(schemaJSON.utf8))], sync: Array(container.syncMarker), blocks: [(1, cut)])
    assertAlertError([fileName, "block 0: record 0: candidate.", "truncated", "at byte"]) { _ = try read(bytes) }
    // Extra bytes after the declared objects are corruption too.
    let longer = AvroWriter.container(
      metadata: [("avro.schema", Array(schemaJSON.utf8))], sync: Array(container.syncMarker), blocks: [(1, body + [0, 0])])
    assertAlertError([fileName, "2 bytes left over after 1 objects"]) { _ = try read(longer) }
    // A count of two objects for one object's data.
    let twice = AvroWriter.container(
      metadata: [("avro.schema", Array(schemaJSON.utf8))], sync: Array(container.syncMarker), blocks: [(2, body)])
    assertAlertError([fileName, "record 1", "truncated"]) { _ = try read(twice) }
  }

  func testRandomBytesAndOtherFiles() throws {
    var rng = SeededRandom(seed: 7)
    let random = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) })
    assertAlertError([fileName, "not an Avro container file"]) { _ = try read(random) }
    let csv = try Data(contentsOf: URL(fileURLWithPath: try Fixtures.folder() + "/expected.csv"))
    assertAlertError([fileName, "not an Avro container file", "66 69 6c 65"]) { _ = try read(csv) }
    let fits = Data(FITSWriter.float32(width: 2, height: 2, pixels: [1, 2, 3, 4]))
    assertAlertError([fileName, "not an Avro container file"]) { _ = try read(fits) }
    // Avro magic followed by garbage.
    assertAlertError([fileName, "header metadata"]) { _ = try read(Data([0x4f, 0x62, 0x6a, 0x01]) + random) }
  }

  func testWrongSyncMarker() {
    var bytes = data
    bytes[bytes.count - 3] ^= 0xff
    assertAlertError([fileName, "block 0", "sync marker after the block does not match", "at byte \(data.count - 16)"]) {
      _ = try read(bytes)
    }
  }

  func testUnknownCodecAndBadSchema() {
    let body: [UInt8] = {
      var b: [UInt8] = []
      AvroWriter.encode(container.records[0], container.schema, into: &b)
      return b
    }()
    let sync = Array(container.syncMarker)
    func packet(_ metadata: [(String, [UInt8])]) -> Data { AvroWriter.container(metadata: metadata, sync: sync, blocks: [(1, body)]) }
    assertAlertError([fileName, "unsupported codec 'snappy'"]) {
      _ = try read(packet([("avro.codec", Array("snappy".utf8)), ("avro.schema", Array(schemaJSON.utf8))]))
    }
    assertAlertError([fileName, "header has no avro.schema"]) { _ = try read(packet([("avro.codec", Array("null".utf8))])) }
    assertAlertError([fileName, "writer schema: invalid JSON"]) {
      _ = try read(packet([("avro.schema", Array(schemaJSON.utf8.dropLast(5)))]))
    }
    assertAlertError([fileName, "writer schema", "unknown type 'ztf.alert.nothing'"]) {
      let broken = schemaJSON.replacingOccurrences(of: "[\"ztf.alert.cutout\", \"null\"]", with: "[\"ztf.alert.nothing\", \"null\"]")
      XCTAssertNotEqual(broken, schemaJSON)
      _ = try read(packet([("avro.schema", Array(broken.utf8))]))
    }
    // A schema that is valid Avro but not a ZTF alert.
    let other = AvroWriter.container(
      metadata: [("avro.schema", Array(#"{"type":"record","name":"x","fields":[{"name":"a","type":"long"}]}"#.utf8))],
      sync: sync, blocks: [(1, [2])])
    assertAlertError([fileName, "record 0: not a ZTF alert: no field 'candid'"]) { _ = try read(other) }
    // A corrupt deflate block.
    var deflated = Compression.deflate(body, gzip: false)
    deflated[deflated.count / 2] ^= 0x55
    deflated.removeLast(deflated.count / 3)
    let bad = AvroWriter.container(
      metadata: [("avro.codec", Array("deflate".utf8)), ("avro.schema", Array(schemaJSON.utf8))], sync: sync,
      blocks: [(1, deflated)])
    assertAlertError([fileName, "block 0: deflate:"]) { _ = try read(bad) }
  }

  /// Hand-encoded values that break each primitive's rules.
  func testPrimitiveViolations() {
    func decode(_ type: String, _ bytes: [UInt8]) throws {
      let json = #"{"type":"record","name":"r","fields":[{"name":"f","type":\#(type)}]}"#
      _ = try AvroContainer(
        data: AvroWriter.container(metadata: [("avro.schema", Array(json.utf8))], sync: .init(repeating: 1, count: 16), blocks: [(1, bytes)]),
        source: "/t/prim.avro")
    }
    assertAlertError(["prim.avro", "block 0: record 0: f: long overflows 64 bits at byte"]) {
      try decode(#""long""#, .init(repeating: 0xff, count: 9) + [0x02])
    }
    assertAlertError(["f: truncated long"]) { try decode(#""long""#, [0x80, 0x80]) }
    assertAlertError(["f: int value 2147483648 out of 32-bit range"]) { try decode(#""int""#, [0x80, 0x80, 0x80, 0x80, 0x10]) }
    assertAlertError(["f: union index 5 out of range 0..<2"]) { try decode(#"["null","long"]"#, [10]) }
    assertAlertError(["f: union index -1 out of range"]) { try decode(#"["null","long"]"#, [1]) }
    assertAlertError(["f: negative string length -2"]) { try decode(#""string""#, [3]) }
    assertAlertError(["f: truncated or corrupt: string length 50 exceeds the 1 bytes left"]) { try decode(#""string""#, [100, 65]) }
    assertAlertError(["f: string is not valid UTF-8"]) { try decode(#""string""#, [4, 0xc3, 0x28]) }
    assertAlertError(["f: boolean byte 2 is neither 0 nor 1"]) { try decode(#""boolean""#, [2]) }
    assertAlertError(["f: truncated double: need 8 bytes, 3 left"]) { try decode(#""double""#, [1, 2, 3]) }
    assertAlertError(["f: enum index 2 out of range 0..<2"]) {
      try decode(#"{"type":"enum","name":"e","symbols":["A","B"]}"#, [4])
    }
    // An array claiming 2^40 longs in a few bytes is refused before allocating.
    assertAlertError(["f: truncated or corrupt array: block count 1099511627776 cannot fit"]) {
      var b: [UInt8] = []
      AvroWriter.long(1 << 40, into: &b)
      try decode(#"{"type":"array","items":"long"}"#, b + [0, 0])
    }
    // Null items take no bytes: a huge count of them is refused too.
    assertAlertError(["f: truncated or corrupt array: block count"]) {
      var b: [UInt8] = []
      AvroWriter.long(1 << 40, into: &b)
      try decode(#"{"type":"array","items":"null"}"#, b + [0])
    }
    assertAlertError(["f[1]: truncated long"]) { try decode(#"{"type":"array","items":"long"}"#, [4, 2, 0x80]) }
    assertAlertError(["f: truncated fixed"]) { try decode(#"{"type":"fixed","name":"x","size":4}"#, [1]) }
  }

  /// The cutouts' gzip streams: corrupt, truncated, or inflating past the limit.
  func testCorruptGzipCutout() throws {
    let record = try XCTUnwrap(container.records[0].recordValue)
    let stamp = try XCTUnwrap(AlertReader(data: data, source: fileName).alerts.first?.cutoutScience?.stampData)
    func alert(withScience newStamp: Data) throws -> ZTFAlert {
      let edited = replacingStamp(in: record, kind: .science, with: newStamp)
      let bytes = AvroWriter.container(schemaJSON: schemaJSON, schema: container.schema, records: [.record(edited)])
      return try XCTUnwrap(read(bytes).first)
    }
    var flipped = stamp
    for i in stride(from: 200, to: 260, by: 3) { flipped[i] ^= 0xa5 }
    assertAlertError([fileName, "cutoutScience: gzip: corrupt data"]) { _ = try Triplet.make(try alert(withScience: flipped)) }
    var crc = stamp
    crc[crc.count - 6] ^= 0x01  // the CRC32 in the trailer
    assertAlertError([fileName, "cutoutScience: gzip: corrupt data: incorrect data check"]) {
      _ = try Triplet.make(try alert(withScience: crc))
    }
    var header = stamp
    header[0] = 0x00
    assertAlertError([fileName, "cutoutScience: gzip: corrupt data: incorrect header check"]) {
      _ = try alert(withScience: header).cutoutScience!.image()
    }
    assertAlertError([fileName, "cutoutScience: gzip: truncated stream"]) {
      _ = try Triplet.make(try alert(withScience: stamp.prefix(stamp.count / 2)))
    }
    assertAlertError([fileName, "cutoutScience: gzip: empty stream"]) { _ = try Triplet.make(try alert(withScience: Data())) }
    assertAlertError([fileName, "cutoutScience: gzip: 3 bytes of trailing garbage"]) {
      _ = try Triplet.make(try alert(withScience: stamp + Data([1, 2, 3])))
    }
    // Two concatenated gzip members are one valid stream (as gzip -d and Python's gzip.decompress read them).
    let twoMembers = try Gzip.decompress(stamp + stamp)
    XCTAssertEqual(twoMembers.count, 2 * 20160)
    // A zip bomb (8 MB of zeros in 8 kB) is refused at the limit (64 MB by default; 1 MB here to keep it quick).
    let bomb = Data(Compression.deflate(.init(repeating: 0, count: 8 << 20), gzip: true))
    XCTAssertLessThan(bomb.count, 10_000)
    XCTAssertEqual(Gzip.defaultLimit, 64 << 20)
    assertAlertError(["bomb.gz", "gzip: inflated size exceeds the limit of 1048576 bytes"]) {
      _ = try Gzip.decompress(bomb, source: "bomb.gz", limit: 1 << 20)
    }
    XCTAssertEqual(try Gzip.decompress(bomb, limit: 8 << 20).count, 8 << 20)
    assertAlertError(["inflated size exceeds the limit of 1000 bytes"]) { _ = try Gzip.decompress(stamp, limit: 1000) }
  }

  /// Bad FITS inside a valid gzip inside a valid packet: the error names the packet and the cutout.
  func testBadFITSCutouts() throws {
    let record = try XCTUnwrap(container.records[0].recordValue)
    let fits = try XCTUnwrap(AlertReader(data: data, source: fileName).alerts.first?.cutoutDifference).fitsData()
    func alert(withDifference fitsBytes: [UInt8]) throws -> ZTFAlert {
      let edited = replacingStamp(in: record, kind: .difference, with: Data(Compression.deflate(fitsBytes, gzip: true)))
      let bytes = AvroWriter.container(schemaJSON: schemaJSON, schema: container.schema, records: [.record(edited)])
      return try XCTUnwrap(read(bytes).first)
    }
    func replacing(_ from: String, _ to: String) -> [UInt8] {
      var b = Array(fits)
      let f = Array(from.utf8)
      let i = (0...(b.count - f.count)).first { Array(b[$0..<($0 + f.count)]) == f }!
      b.replaceSubrange(i..<(i + f.count), with: Array(to.utf8))
      return b
    }
    assertAlertError([fileName, "cutoutDifference: FITS: unsupported BITPIX 12"]) {
      _ = try Triplet.make(try alert(withDifference: replacing("BITPIX  =                  -32", "BITPIX  =                   12")))
    }
    assertAlertError([fileName, "cutoutDifference: FITS: NAXIS = 3"]) {
      _ = try Triplet.make(try alert(withDifference: replacing("NAXIS   =                    2", "NAXIS   =                    3")))
    }
    assertAlertError([fileName, "cutoutDifference: FITS: data truncated", "15876 bytes", "only 1000 bytes"]) {
      _ = try Triplet.make(try alert(withDifference: Array(fits.prefix(2880 + 1000))))
    }
    // A 64-column cutout is valid FITS but too large for a 63x63 triplet.
    let wide = FITSWriter.float32(width: 64, height: 63, pixels: .init(repeating: 1, count: 64 * 63))
    assertAlertError([fileName, "cutoutDifference is 63 rows x 64 columns, larger than 63x63"]) {
      _ = try Triplet.make(try alert(withDifference: wide))
    }
    let small = FITSWriter.float32(width: 63, height: 62, pixels: .init(repeating: 1, count: 63 * 62))
    assertAlertError([fileName, "different shapes", "cutoutDifference 62x63"]) {
      _ = try Triplet.make(try alert(withDifference: small))
    }
  }

  /// 200 (or `ZTF_FUZZ_ITERATIONS`) seeded random mutations (byte flips, overwrites, cuts, insertions) of a real packet: each one either
  /// decodes (and its triplet is built or refused) or throws an AlertError. A crash fails the whole test run.
  func testFuzzedPacketsNeverCrash() {
    var rng = SeededRandom(seed: 20_251_125)
    var decoded = 0
    var rejected = 0
    var tripletErrors = 0
    let iterations = ProcessInfo.processInfo.environment["ZTF_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 200
    for iteration in 0..<iterations {
      var bytes = Array(data)
      for _ in 0..<Int.random(in: 1...8, using: &rng) {
        let i = Int.random(in: 0..<bytes.count, using: &rng)
        // Even iterations only change bytes in place (lengths stay valid, so decoding goes deeper: into the
        // record, the gzip streams and the FITS headers); odd ones also cut and insert.
        switch Int.random(in: 0..<(iteration % 2 == 0 ? 2 : 4), using: &rng) {
        case 0: bytes[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
        case 1: bytes[i] = UInt8.random(in: 0...255, using: &rng)
        case 2: bytes.removeSubrange(i..<min(bytes.count, i + Int.random(in: 1...64, using: &rng)))
        default: bytes.insert(contentsOf: (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: i)
        }
        if bytes.isEmpty { bytes = [0] }
      }
      do {
        let alerts = try read(Data(bytes))
        decoded += 1
        for a in alerts {
          do { _ = try Triplet.make(a) } catch is AlertError { tripletErrors += 1 }
        }
      } catch let e as AlertError {
        XCTAssertTrue(e.description.hasPrefix(fileName + ": "), e.description)
        rejected += 1
      } catch {
        XCTFail("unexpected error type: \(error)")
      }
    }
    XCTAssertEqual(decoded + rejected, iterations)
    print("ZTFAlerts fuzz: \(decoded) decoded (\(tripletErrors) triplets refused), \(rejected) rejected")
  }
}
