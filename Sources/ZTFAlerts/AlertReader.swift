import Foundation

/// Reads ZTF alert packets (Avro container files, usually one alert each).
///
///     let alerts = try AlertReader.read(path: "1105522281015015000.avro")
///     let real = alerts.filter { ($0.candidate.drb ?? 0) > 0.9 && $0.candidate.isdiffpos == "t" }
///     let triplet = try Triplet.make(real[0])   // 63*63*3 floats, HWC
public struct AlertReader: Sendable {
  /// The decoded container (metadata, codec, writer schema, raw records).
  public let container: AvroContainer
  /// One alert per record.
  public let alerts: [ZTFAlert]

  /// Decodes packet bytes; `source` names them in errors.
  public init(data: Data, source: String = "<data>") throws {
    container = try AvroContainer(data: data, source: source)
    alerts = try Self.alerts(container.records, source: source)
  }

  /// Decodes a message of an alert stream: an Avro container file (ZTF's framing), or, with `framedSchema`, one
  /// Avro datum in the Confluent wire format (a zero magic byte, the schema id as 4 big-endian bytes, then the datum
  /// written with that schema: LSST's framing). `framedSchema.id`, when set, must match the message's schema id.
  public static func alerts(message: Data, source: String, framedSchema: (id: Int32?, schema: AvroSchema)?) throws -> [ZTFAlert] {
    if message.starts(with: [0x4f, 0x62, 0x6a, 0x01]) || framedSchema == nil {
      return try AlertReader(data: message, source: source).alerts
    }
    guard let framedSchema, message.count >= 5, message.first == 0 else {
      let start = message.prefix(5).map { String(format: "%02x", $0) }.joined(separator: " ")
      throw AlertError(
        source: source,
        reason: "neither an Avro container file (Obj\\x01) nor a framed Avro datum (magic byte 0, schema id): starts with \(start)")
    }
    let id = message.dropFirst().prefix(4).reduce(Int32(0)) { $0 << 8 | Int32($1) }
    if let expected = framedSchema.id, expected != id {
      throw AlertError(source: source, reason: "framed datum has schema id \(id), expected \(expected) (the schema given)")
    }
    let value: AvroValue
    do {
      value = try message.dropFirst(5).withUnsafeBytes { bytes in
        var decoder = AvroDecoder(ByteCursor(bytes, origin: 5))
        let value = try decoder.decode(framedSchema.schema)
        guard decoder.cursor.isAtEnd else {
          throw decoder.cursor.failure("\(decoder.cursor.remaining) bytes left after the datum", at: decoder.cursor.position)
        }
        return value
      }
    } catch let f as AvroFailure {
      throw AlertError(source: source, reason: f.message)
    }
    return try alerts([value], source: source)
  }

  private static func alerts(_ records: [AvroValue], source: String) throws -> [ZTFAlert] {
    try records.enumerated().map { i, value in
      guard let record = value.recordValue else {
        throw AlertError(source: source, reason: "record \(i) is not a record (writer schema is not a ZTF alert)")
      }
      do {
        return try ZTFAlert(record: record, source: source)
      } catch let e as AlertError {
        throw AlertError(source: source, reason: "record \(i): \(e.reason)")
      }
    }
  }

  /// All alerts in the file at `path`.
  public static func read(path: String) throws -> [ZTFAlert] {
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw AlertError(source: path, reason: "cannot read file: \(error.localizedDescription)")
    }
    return try AlertReader(data: data, source: path).alerts
  }
}
