import AstroKernels
import Foundation
import ZTFAlerts

/// Generated ZTF alerts for benchmarks and tests, derived from a real packet.
///
/// Alert `i` belongs to object `i / alertsPerObject` and is that object's `i % alertsPerObject`-th detection:
/// objects are spread uniformly over the sphere, detections one night apart alternating g and r, and every alert's
/// `prv_candidates` repeat the object's earlier detections plus an upper limit half a night after each, as a real
/// stream does, so light curves need deduplication. Everything else (the other candidate fields, the cutouts) is
/// the template's. The same index always gives the same alert, so generation parallelises and is reproducible.
public struct SyntheticAlerts: Sendable {
  /// Alerts per object (>= 1).
  public let alertsPerObject: Int
  /// Most earlier detections repeated in `prv_candidates`.
  public let historyLength: Int
  /// Days over which the objects' first detections are spread (from jd 2459000.5).
  public let firstNightSpan: Double
  /// Candid of alert 0; generated candids follow it and do not collide with real ZTF candids (< 3e18 so far).
  public static let firstCandid: Int64 = 4_000_000_000_000_000_000

  private let template: ZTFAlert
  private let schema: AvroSchema
  private let schemaJSON: Data
  private let seed: UInt64

  /// `templatePacket`: the bytes of a real alert packet (its first alert is the template). `firstNightSpan`: 300 days
  /// makes an archive of many nights; a fraction of a day, a stream whose objects start in the same night.
  public init(
    templatePacket: Data, label: String = "template", alertsPerObject: Int = 5, historyLength: Int = 10, seed: UInt64 = 1,
    firstNightSpan: Double = 300
  ) throws {
    let reader = try AlertReader(data: templatePacket, source: label)
    guard let first = reader.alerts.first else { throw AlertStoreError(source: label, reason: "the template packet holds no alert") }
    guard let json = reader.container.metadata["avro.schema"] else {
      throw AlertStoreError(source: label, reason: "the template packet has no avro.schema")
    }
    template = first
    schema = reader.container.schema
    schemaJSON = json
    self.alertsPerObject = max(1, alertsPerObject)
    self.historyLength = max(0, historyLength)
    self.seed = seed
    self.firstNightSpan = max(0, firstNightSpan)
  }

  /// The candid of alert `index`.
  public func candid(_ index: Int) -> Int64 { Self.firstCandid + Int64(index) }

  /// The objectId of alert `index`: `ZTF24` and seven letters.
  public func objectId(_ index: Int) -> String {
    var k = index / alertsPerObject
    var letters: [Character] = []
    for _ in 0..<7 {
      letters.append(Character(UnicodeScalar(UInt8(97 + k % 26))))
      k /= 26
    }
    return "ZTF24" + String(letters.reversed())
  }

  /// Sky position (degrees) of the object of alert `index`, uniform on the sphere.
  public func objectPosition(_ index: Int) -> (ra: Double, dec: Double) {
    let k = UInt64(index / alertsPerObject)
    let ra = 360 * unit(k, 1)
    let dec = asin(2 * unit(k, 2) - 1) * 180 / .pi
    return (min(ra, 359.999_999_999), dec)
  }

  /// The decoded alert `index`.
  public func alert(_ index: Int) throws -> ZTFAlert {
    try ZTFAlert(record: try alertRecord(index), source: "synthetic alert \(index)")
  }

  /// Alert `index` as the store ingests it; `cutouts: false` leaves the stamps out (a large store's worth of
  /// cutouts would not fit on a small disk).
  public func record(_ index: Int, cutouts: Bool = true) throws -> AlertIngestRecord {
    var record = try AlertIngestRecord(alert: try alert(index))
    if !cutouts { (record.science, record.template, record.difference) = (nil, nil, nil) }
    return record
  }

  /// Alert `index` as packet bytes (an Avro container file with the template's writer schema).
  public func packet(_ index: Int) throws -> Data {
    var sync = [UInt8](repeating: 0, count: 16)
    withUnsafeBytes(of: candid(index).littleEndian) { for (i, b) in $0.enumerated() { sync[i] = b } }
    return try AvroEncoder.container(records: [.record(try alertRecord(index))], schema: schema, schemaJSON: schemaJSON, sync: sync)
  }

  // MARK: - Building records

  /// A detection of the object of alert `index`: its `j`-th, one night after the previous one.
  private struct Detection {
    var candid: Int64
    var jd: Double
    var fid: Int
    var mag: Double
    var ra: Double
    var dec: Double
  }

  private func detection(_ index: Int, _ j: Int) -> Detection {
    let k = UInt64(index / alertsPerObject)
    let firstIndex = (index / alertsPerObject) * alertsPerObject
    let (ra, dec) = objectPosition(index)
    // ~0.1" of astrometric scatter; ra scatter scaled so it is 0.1" on the sky, kept inside 0..<360.
    let jitter = 0.1 / 3600
    var jra = ra + jitter * (unit(k, 10 + UInt64(j)) - 0.5) / max(0.01, cos(dec * .pi / 180))
    jra = jra < 0 ? jra + 360 : (jra >= 360 ? jra - 360 : jra)
    let jdec = max(-90, min(90, dec + jitter * (unit(k, 40 + UInt64(j)) - 0.5)))
    return Detection(
      candid: candid(firstIndex + j), jd: 2_459_000.5 + firstNightSpan * unit(k, 3) + Double(j), fid: 1 + j % 2,
      mag: 16 + 4 * unit(k, 4) + 0.3 * sin(Double(j)), ra: jra, dec: jdec)
  }

  private func alertRecord(_ index: Int) throws -> AvroRecord {
    let j = index % alertsPerObject
    let d = detection(index, j)
    var candidate = RecordEditor(template.candidate.record)
    try candidate.set("candid", int: d.candid)
    try candidate.set("jd", d.jd)
    try candidate.set("fid", int: Int64(d.fid))
    try candidate.set("ra", d.ra)
    try candidate.set("dec", d.dec)
    try candidate.set("magpsf", d.mag)

    var alert = RecordEditor(template.record)
    try alert.set("candid", int: d.candid)
    try alert.set("objectId", string: objectId(index))
    alert.set("candidate", value: .record(candidate.record))
    if let prvTemplate = template.prvCandidates.first?.record {
      var history: [AvroValue] = []
      for earlier in max(0, j - historyLength)..<j {
        let p = detection(index, earlier)
        var point = RecordEditor(prvTemplate)
        try point.set("jd", p.jd)
        try point.set("fid", int: Int64(p.fid))
        try point.set("candid", int: p.candid)
        try point.set("magpsf", p.mag)
        try point.set("sigmapsf", 0.05)
        try point.set("diffmaglim", 20.5)
        try point.set("ra", p.ra)
        try point.set("dec", p.dec)
        try point.set("isdiffpos", string: "t")
        history.append(.record(point.record))
        var limit = RecordEditor(prvTemplate)
        try limit.set("jd", p.jd + 0.5)
        try limit.set("fid", int: Int64(p.fid))
        for field in ["candid", "magpsf", "sigmapsf", "ra", "dec", "isdiffpos"] { try limit.setNull(field) }
        try limit.set("diffmaglim", 20.0)
        history.append(.record(limit.record))
      }
      alert.set("prv_candidates", value: .array(history))
    }
    for kind in Cutout.Kind.allCases {
      guard let cutout = alert.record[kind.rawValue]?.recordValue else { continue }
      var stamp = RecordEditor(cutout)
      let name = cutout["fileName"]?.stringValue ?? ""
      try stamp.set("fileName", string: name.replacingOccurrences(of: String(template.candid), with: String(d.candid)))
      alert.set(kind.rawValue, value: .record(stamp.record))
    }
    return alert.record
  }

  /// A reproducible uniform number in [0, 1) from the seed, an object and a purpose (SplitMix64 hashing).
  private func unit(_ k: UInt64, _ salt: UInt64) -> Double {
    let z = SplitMix64.mix(seed &* 0x9E37_79B9_7F4A_7C15 &+ k &* 0xBF58_476D_1CE4_E5B9 &+ salt &* 0x94D0_49BB_1331_11EB)
    return Double(z >> 11) / Double(UInt64(1) << 53)
  }
}

/// Changes fields of a decoded record by name, giving each value the Avro type its field's schema expects
/// (float or double, int or long, the right union branch), so the record still encodes with the writer schema.
struct RecordEditor {
  private(set) var record: AvroRecord
  private var values: [AvroValue]

  init(_ record: AvroRecord) {
    self.record = record
    self.values = record.values
  }

  private mutating func put(_ name: String, _ make: (AvroSchema) -> AvroValue?) throws {
    guard let i = record.layout.index[name] else {
      throw AlertStoreError(source: "synthetic alerts", reason: "template record \(record.layout.name) has no field \(name)")
    }
    let schema = record.layout.fieldSchemas[i]
    var branches: [AvroSchema] = [schema]
    if case .union(let b) = schema { branches = b }
    guard let value = branches.lazy.compactMap(make).first else {
      throw AlertStoreError(source: "synthetic alerts", reason: "field \(record.layout.name).\(name) cannot hold this value")
    }
    values[i] = value
    record = AvroRecord(layout: record.layout, values: values)
  }

  mutating func set(_ name: String, _ x: Double) throws {
    try put(name) {
      switch $0 {
      case .double: return .double(x)
      case .float: return .float(Float(x))
      default: return nil
      }
    }
  }

  mutating func set(_ name: String, int x: Int64) throws {
    try put(name) {
      switch $0 {
      case .long: return .long(x)
      case .int: return Int32(exactly: x).map { .int($0) }
      default: return nil
      }
    }
  }

  mutating func set(_ name: String, string s: String) throws {
    try put(name) {
      switch $0 {
      case .string: return .string(s)
      case .enumeration(_, let symbols) where symbols.contains(s): return .enumSymbol(s)
      default: return nil
      }
    }
  }

  mutating func setNull(_ name: String) throws {
    try put(name) { if case .null = $0 { return .null } else { return nil } }
  }

  /// Sets a value as is (the caller guarantees it fits: a record of the same type, an array of the same items).
  mutating func set(_ name: String, value: AvroValue) {
    guard let i = record.layout.index[name] else { return }
    values[i] = value
    record = AvroRecord(layout: record.layout, values: values)
  }
}
