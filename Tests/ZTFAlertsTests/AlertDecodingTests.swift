import Foundation
import XCTest
import ZTFAlerts

/// The 44 real packets decode to the values ZTF's own tools report (expected.csv, made with fastavro).
final class AlertDecodingTests: XCTestCase {
  func testAllPacketsMatchExpectedCSV() throws {
    let folder = try Fixtures.folder()
    let rows = try Fixtures.expected()
    XCTAssertEqual(rows.count, 44)
    var versions: [String: Int] = [:]
    var publishers: [String: Int] = [:]
    for row in rows {
      let alerts = try AlertReader.read(path: folder + "/" + row.file)
      XCTAssertEqual(alerts.count, 1, row.file)
      let a = try XCTUnwrap(alerts.first)
      let c = a.candidate
      versions[a.schemavsn, default: 0] += 1
      XCTAssertEqual(a.candid, row.candid, row.file)
      XCTAssertEqual(c.candid, row.candid, row.file)
      XCTAssertEqual(a.objectId, row.objectId, row.file)
      XCTAssertEqual(a.schemavsn, row.schemavsn, row.file)
      publishers[a.publisher, default: 0] += 1
      XCTAssertEqual(a.prvCandidates.count, row.prvCount, row.file)
      XCTAssertEqual(try XCTUnwrap(c.ra, row.file), row.ra, accuracy: 1e-7, row.file)
      XCTAssertEqual(try XCTUnwrap(c.dec, row.file), row.dec, accuracy: 1e-7, row.file)
      XCTAssertEqual(try XCTUnwrap(c.jd, row.file), row.jd, accuracy: 1e-7, row.file)
      XCTAssertEqual(try XCTUnwrap(c.rb, row.file), row.rb, accuracy: 1e-7, row.file)
      if let drb = row.drb {
        XCTAssertEqual(try XCTUnwrap(c.drb, row.file), drb, accuracy: 1e-7, row.file)
        XCTAssertEqual(Float(c.drb!), Float(drb), "the packet's float32 score, exactly: \(row.file)")
      } else {
        XCTAssertNil(c.drb, row.file)  // schema 3.2 predates drb
        XCTAssertNil(c[field: "drb"], row.file)
      }
      XCTAssertEqual(c.drbversion, row.drbversion, row.file)
      // Typed accessors agree with the generic record, and the common filter fields are present.
      XCTAssertEqual(c.magpsf, c[field: "magpsf"]?.doubleValue, row.file)
      XCTAssertNotNil(c.fid, row.file)
      XCTAssertNotNil(c.magpsf, row.file)
      XCTAssertTrue(["t", "f", "1", "0"].contains(c.isdiffpos ?? "?"), row.file)
      XCTAssertNotNil(a.cutoutScience, row.file)
      XCTAssertNotNil(a.cutoutTemplate, row.file)
      XCTAssertNotNil(a.cutoutDifference, row.file)
      for p in a.prvCandidates {
        XCTAssertNotNil(p.jd, row.file)
        XCTAssertLessThanOrEqual(p.jd!, c.jd! + 1e-9, "previous detections precede the alert: \(row.file)")
      }
    }
    XCTAssertEqual(versions, ["3.2": 1, "3.3": 37, "4.02": 6])
    // 21 packets were re-serialised by the Fink broker (fastavro-style writer schemas with full names).
    XCTAssertEqual(publishers, ["ZTF (www.ztf.caltech.edu)": 23, "Fink": 21])
  }

  /// Fields deep in the record, checked against fastavro by hand for the first packet.
  func testFieldValuesOfOnePacket() throws {
    let (path, _) = try Fixtures.packet("1105522281015015000.avro")
    let a = try XCTUnwrap(AlertReader.read(path: path).first)
    let c = a.candidate
    XCTAssertEqual(c.fid, 1)
    XCTAssertEqual(c.isdiffpos, "t")
    XCTAssertEqual(c.field, 576)
    XCTAssertEqual(c.rcid, 10)
    XCTAssertEqual(c.ndethist, 8)
    XCTAssertEqual(c.nbad, 0)
    XCTAssertEqual(c.programid, 1)
    XCTAssertEqual(c.jdstarthist, 2458855.9588079)
    XCTAssertEqual(c.magpsf, 14.916227340698242)
    XCTAssertEqual(c.ssnamenr, "null")
    XCTAssertEqual(c.sgscore1, 0.22748200595378876)
    let prv = try XCTUnwrap(a.prvCandidates.first)
    XCTAssertEqual(prv.pid, 1077548471015)
    XCTAssertNil(prv.candid)  // a non-detection: null in the packet
    XCTAssertEqual(prv[field: "candid"], .null)
    XCTAssertNil(prv.magpsf)
    XCTAssertEqual(prv.diffmaglim, 19.44420051574707)
    XCTAssertEqual(prv.rbversion, "t17_f5_c3")
    XCTAssertEqual(c.pid, 1105522281015)
    XCTAssertEqual(c.drbversion, "d6_m7")
    XCTAssertEqual(c.record.values.count, 103)
    XCTAssertEqual(c.record.layout.fieldNames.prefix(4), ["jd", "fid", "pid", "diffmaglim"])
    XCTAssertEqual(a.cutoutScience?.fileName, "candid1105522281015015000_pid1105522281015_targ_sci.fits.gz")
    XCTAssertEqual(a.cutoutScience?.stampData.count, 13381)
    XCTAssertEqual(c[field: "no_such_field"], nil)
    // The ordered field list and the dictionary view agree.
    let dict = c.record.dictionary
    for (name, value) in c.record.fields { XCTAssertEqual(dict[name], value) }
  }

  /// Decoding and re-encoding a real packet gives the original block bytes: every value survived exactly.
  func testReencodingReproducesOriginalBytes() throws {
    for path in try Fixtures.packetPaths() {
      let data = try Data(contentsOf: URL(fileURLWithPath: path))
      let container = try AvroContainer(data: data, source: path)
      XCTAssertEqual(container.codec, "null")
      let json = String(decoding: container.metadata["avro.schema"]!, as: UTF8.self)
      let rebuilt = AvroWriter.container(
        schemaJSON: json, schema: container.schema, records: container.records, sync: Array(container.syncMarker))
      // The writer's header may differ (metadata order); compare the block that follows it.
      let tail = data.suffix(from: data.count - (rebuilt.count - headerLength(rebuilt)))
      XCTAssertEqual(Array(tail), Array(rebuilt.suffix(from: headerLength(rebuilt))), path)
    }
  }

  private func headerLength(_ container: Data) -> Int {
    // magic + metadata + sync: locate the first sync marker occurrence after the magic.
    let bytes = Array(container)
    let sync = Array(bytes.suffix(16))
    for i in 4..<(bytes.count - 16) where Array(bytes[i..<(i + 16)]) == sync { return i + 16 }
    return 0
  }

  func testDeflateCodecDecodesLikeNull() throws {
    let (path, data) = try Fixtures.packet()
    let container = try AvroContainer(data: data, source: path)
    let json = String(decoding: container.metadata["avro.schema"]!, as: UTF8.self)
    let twice = container.records + container.records
    let deflated = AvroWriter.container(schemaJSON: json, schema: container.schema, records: twice, codec: "deflate")
    XCTAssertLessThan(deflated.count, data.count * 2)
    let reader = try AlertReader(data: deflated, source: "deflated.avro")
    XCTAssertEqual(reader.container.codec, "deflate")
    XCTAssertEqual(reader.alerts.count, 2)
    XCTAssertEqual(reader.container.records, twice)
    let original = try XCTUnwrap(AlertReader(data: data, source: path).alerts.first)
    XCTAssertEqual(try Triplet.make(reader.alerts[1]), try Triplet.make(original))
  }

  /// The generic decoder on a hand-written schema and hand-encoded bytes: enum, fixed, map, negative-count array
  /// blocks, unions, namespaces and a recursive type.
  func testGenericSchemaFeatures() throws {
    let json = """
      {"type": "record", "name": "Node", "namespace": "test.ns", "fields": [
        {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
        {"name": "tag", "type": {"type": "fixed", "name": "Tag", "size": 2}},
        {"name": "counts", "type": {"type": "map", "values": "int"}},
        {"name": "values", "type": {"type": "array", "items": "long"}},
        {"name": "when", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "flag", "type": "boolean"},
        {"name": "other", "type": "test.ns.Color"},
        {"name": "next", "type": ["null", "Node"]}
      ]}
      """
    guard case .record(let layout) = try AvroSchema(json: json) else { return XCTFail("not a record schema") }
    XCTAssertEqual(layout.fieldNames, ["color", "tag", "counts", "values", "when", "flag", "other", "next"])
    var bytes: [UInt8] = []
    func node(color: Int64, next: Bool) {
      AvroWriter.long(color, into: &bytes)
      bytes += [0xAB, 0xCD]  // fixed
      AvroWriter.long(1, into: &bytes)  // map: one block of one entry
      AvroWriter.bytes(Array("k".utf8), into: &bytes)
      AvroWriter.long(-7, into: &bytes)
      bytes.append(0)
      AvroWriter.long(-2, into: &bytes)  // array: a block of 2 with its byte size
      AvroWriter.long(2, into: &bytes)
      AvroWriter.long(5, into: &bytes)
      AvroWriter.long(-300, into: &bytes)
      AvroWriter.long(1, into: &bytes)  // then a plain block of 1
      AvroWriter.long(Int64.max, into: &bytes)
      bytes.append(0)
      AvroWriter.long(1_700_000_000_000, into: &bytes)
      bytes.append(1)
      AvroWriter.long(1, into: &bytes)
      AvroWriter.long(next ? 1 : 0, into: &bytes)
    }
    node(color: 1, next: true)
    node(color: 0, next: false)
    let data = AvroWriter.container(
      metadata: [("avro.schema", Array(json.utf8))], sync: Array(repeating: 9, count: 16), blocks: [(1, bytes)])
    let container = try AvroContainer(data: data, source: "generic.avro")
    XCTAssertEqual(container.codec, "null")
    let root = try XCTUnwrap(container.records.first?.recordValue)
    XCTAssertEqual(root.layout.name, "test.ns.Node")
    XCTAssertEqual(root["color"], .enumSymbol("GREEN"))
    XCTAssertEqual(root["tag"], .fixed(Data([0xAB, 0xCD])))
    XCTAssertEqual(root["counts"], .map(["k": .int(-7)]))
    XCTAssertEqual(root["values"], .array([.long(5), .long(-300), .long(Int64.max)]))
    XCTAssertEqual(root["when"], .long(1_700_000_000_000))
    XCTAssertEqual(root["flag"], .bool(true))
    XCTAssertEqual(root["other"], .enumSymbol("GREEN"))
    let next = try XCTUnwrap(root["next"]?.recordValue)
    XCTAssertTrue(next.layout === root.layout)
    XCTAssertEqual(next["color"], .enumSymbol("RED"))
    XCTAssertEqual(next["next"], .null)
  }
}
