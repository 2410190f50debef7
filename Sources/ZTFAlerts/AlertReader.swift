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
    alerts = try container.records.enumerated().map { i, value in
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
