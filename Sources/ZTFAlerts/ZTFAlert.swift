import Foundation

/// One ZTF alert packet, mapped by field name from the decoded Avro record (schema 3.x and 4.x).
public struct ZTFAlert: Sendable {
  public let candid: Int64
  public let objectId: String
  public let schemavsn: String
  public let publisher: String
  /// The triggering detection.
  public let candidate: ZTFCandidate
  /// Earlier detections and upper limits at this position (`prv_candidates`; empty when null).
  public let prvCandidates: [ZTFCandidate]
  /// Forced-photometry history (`fp_hists`, schema 4.x; empty when absent or null).
  public let fpHists: [AvroRecord]
  public let cutoutScience: Cutout?
  public let cutoutTemplate: Cutout?
  public let cutoutDifference: Cutout?
  /// The whole decoded record.
  public let record: AvroRecord
  /// The file or label it came from (used in errors).
  public let source: String

  /// Maps a decoded alert record. Throws `AlertError` when a required field (candid, objectId, schemavsn,
  /// publisher, candidate) is missing or has the wrong type.
  public init(record: AvroRecord, source: String) throws {
    func fail(_ reason: String) -> AlertError { AlertError(source: source, reason: reason) }
    func required<T>(_ name: String, _ get: (AvroValue) -> T?) throws -> T {
      guard let value = record[name] else { throw fail("not a ZTF alert: no field '\(name)' (record type \(record.layout.name))") }
      guard let v = get(value) else { throw fail("field '\(name)' has unexpected value \(value)") }
      return v
    }
    candid = try required("candid") { $0.int64Value }
    objectId = try required("objectId") { $0.stringValue }
    schemavsn = try required("schemavsn") { $0.stringValue }
    publisher = try required("publisher") { $0.stringValue }
    candidate = ZTFCandidate(record: try required("candidate") { $0.recordValue })
    func records(_ name: String) throws -> [AvroRecord] {
      guard let value = record[name], !value.isNull else { return [] }
      guard let items = value.arrayValue else { throw fail("field '\(name)' is not an array") }
      return try items.enumerated().map { i, item in
        guard let r = item.recordValue else { throw fail("\(name)[\(i)] is not a record") }
        return r
      }
    }
    prvCandidates = try records("prv_candidates").map(ZTFCandidate.init(record:))
    fpHists = try records("fp_hists")
    func cutout(_ kind: Cutout.Kind) throws -> Cutout? {
      guard let value = record[kind.rawValue], !value.isNull else { return nil }
      guard let r = value.recordValue, let data = r["stampData"]?.dataValue else {
        throw fail("\(kind.rawValue) is not a {fileName, stampData} record")
      }
      return Cutout(kind: kind, fileName: r["fileName"]?.stringValue ?? "", stampData: data, source: source)
    }
    cutoutScience = try cutout(.science)
    cutoutTemplate = try cutout(.template)
    cutoutDifference = try cutout(.difference)
    self.record = record
    self.source = source
  }
}

/// One image stamp of an alert: a gzip-compressed FITS file as it travels in the packet.
public struct Cutout: Sendable, Equatable {
  public enum Kind: String, Sendable, CaseIterable {
    case science = "cutoutScience"
    case template = "cutoutTemplate"
    case difference = "cutoutDifference"
  }

  public let kind: Kind
  /// e.g. `candid1105522281015015000_pid1105522281015_targ_sci.fits.gz`.
  public let fileName: String
  /// The compressed bytes (gzip of a FITS file).
  public let stampData: Data
  /// The packet it came from (used in errors).
  public let source: String

  public init(kind: Kind, fileName: String, stampData: Data, source: String) {
    self.kind = kind
    self.fileName = fileName
    self.stampData = stampData
    self.source = source
  }

  /// The inflated FITS bytes. Throws `AlertError` naming the packet and cutout when the gzip stream is corrupt,
  /// truncated or inflates beyond `limit`.
  public func fitsData(limit: Int = Gzip.defaultLimit) throws -> Data {
    var buffer: [UInt8] = []
    try fitsBytes(into: &buffer, limit: limit)
    return Data(buffer)
  }

  /// Inflates into a reusable buffer.
  public func fitsBytes(into buffer: inout [UInt8], limit: Int = Gzip.defaultLimit) throws {
    do {
      try Gzip.decompress(stampData, source: source, limit: limit, into: &buffer)
    } catch let e as AlertError {
      throw AlertError(source: source, reason: "\(kind.rawValue): \(e.reason)")
    }
  }

  /// Decompresses and parses the image.
  public func image() throws -> FITSImage {
    var buffer: [UInt8] = []
    return try image(scratch: &buffer)
  }

  /// Decompresses (into `scratch`, reused between calls) and parses the image.
  public func image(scratch: inout [UInt8]) throws -> FITSImage {
    try fitsBytes(into: &scratch)
    do {
      return try scratch.withUnsafeBytes { try FITSImage(bytes: $0, source: source) }
    } catch let e as AlertError {
      throw AlertError(source: source, reason: "\(kind.rawValue): \(e.reason)")
    }
  }
}
