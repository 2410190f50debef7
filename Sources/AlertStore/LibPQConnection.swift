import Foundation
import _CLibPQ

/// One connection to a PostgreSQL server through libpq, PostgreSQL's own C client.
///
/// Why libpq rather than postgres-nio: the store's protocol (`AlertDatabase`) is synchronous, like GRDB's, and its
/// callers (ingest, scoring, the command line) are plain threads. postgres-nio is asynchronous; blocking a thread on
/// its tasks would tie up Swift's cooperative pool (two threads on a two-core machine) and can deadlock it. libpq is
/// synchronous, ships with the server, and is what psql itself uses.
///
/// Parameters go out and rows come back in PostgreSQL's binary format (big-endian integers and IEEE doubles), so
/// no value passes through text and every double reads back bit for bit. A connection is used by one thread at a
/// time (the pool hands it out).
final class LibPQConnection {
  private let connection: OpaquePointer
  /// The server as error messages name it (the URL without its password).
  let source: String

  init(url: String, source: String) throws {
    guard let connection = PQconnectdb(url) else {
      throw AlertStoreError(source: source, reason: "cannot connect: libpq could not allocate a connection")
    }
    guard PQstatus(connection) == CONNECTION_OK else {
      let message = String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
      PQfinish(connection)
      throw AlertStoreError(source: source, reason: "cannot connect: \(message)")
    }
    self.connection = connection
    self.source = source
    // Notices ("relation already exists, skipping") are the server talking to a person at a prompt: not printed.
    PQsetNoticeProcessor(connection, { _, _ in }, nil)
  }

  deinit { PQfinish(connection) }

  /// False once the server has gone away: the pool then drops the connection instead of reusing it.
  var isHealthy: Bool { PQstatus(connection) == CONNECTION_OK && PQtransactionStatus(connection) == PQTRANS_IDLE }

  /// Runs one statement with `$1...` parameters and returns its rows (none for commands). Throws `PostgresError`,
  /// with the server's SQLSTATE, when the server refuses it.
  @discardableResult
  func execute(_ sql: String, _ parameters: [PostgresValue] = []) throws -> PostgresRows {
    let encoded = parameters.map(\.encoded)
    let types = encoded.map(\.type)
    let lengths = encoded.map { Int32($0.bytes?.count ?? 0) }
    let formats = [Int32](repeating: 1, count: encoded.count)
    let result: OpaquePointer? = withParameterPointers(encoded.map(\.bytes)) { values in
      PQexecParams(connection, sql, Int32(encoded.count), types, values, lengths, formats, 1)
    }
    guard let result else {
      throw PostgresError(sqlState: nil, message: String(cString: PQerrorMessage(connection)), source: source)
    }
    let status = PQresultStatus(result)
    guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
      defer { PQclear(result) }
      throw Self.error(result, source)
    }
    return PostgresRows(result)
  }

  /// The integer a one-value statement returns (a count).
  func integer(_ sql: String, _ parameters: [PostgresValue] = []) throws -> Int {
    let rows = try execute(sql, parameters)
    return Int(try rows.required(rows.int64(0, 0), 0, 0))
  }

  /// Runs several `;`-separated statements without parameters (a migration), through the simple-query protocol.
  func executeScript(_ sql: String) throws {
    guard let result = PQexec(connection, sql) else {
      throw PostgresError(sqlState: nil, message: String(cString: PQerrorMessage(connection)), source: source)
    }
    defer { PQclear(result) }
    let status = PQresultStatus(result)
    guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else { throw Self.error(result, source) }
  }

  private static func error(_ result: OpaquePointer, _ source: String) -> PostgresError {
    let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
    let message = String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
    return PostgresError(sqlState: state, message: message, source: source)
  }

  /// `COPY table (columns) FROM STDIN` in the binary format: `rows` rows of `fields(row)` values each, streamed in
  /// pieces of about 8 MB. Faster than an INSERT over arrays for wide rows (the stamps): no array is built, sent
  /// and unpacked. For rows that cannot conflict (COPY has no ON CONFLICT).
  func copyIn(_ table: String, columns: [String], rows: Int, fields: (Int) -> [PostgresValue]) throws {
    guard rows > 0 else { return }
    let start = PQexec(connection, "COPY \(table) (\(columns.joined(separator: ", "))) FROM STDIN (FORMAT binary)")
    defer { PQclear(start) }
    guard let start, PQresultStatus(start) == PGRES_COPY_IN else {
      throw start.map { Self.error($0, source) }
        ?? PostgresError(sqlState: nil, message: String(cString: PQerrorMessage(connection)), source: source)
    }
    // Header: the signature "PGCOPY\n\377\r\n\0", flags, header-extension length.
    var buffer = Data([0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00])
    buffer.append(PostgresValue.bigEndian(Int32(0)))
    buffer.append(PostgresValue.bigEndian(Int32(0)))
    var failed: String?
    func flush() {
      guard failed == nil, !buffer.isEmpty else { return }
      let sent = buffer.withUnsafeBytes { PQputCopyData(connection, $0.baseAddress!.assumingMemoryBound(to: CChar.self), Int32($0.count)) }
      if sent != 1 { failed = String(cString: PQerrorMessage(connection)) }
      buffer.removeAll(keepingCapacity: true)
    }
    for row in 0..<rows {
      let values = fields(row)
      buffer.append(PostgresValue.bigEndian(Int16(values.count)))
      for value in values {
        if let bytes = value.encoded.bytes {
          buffer.append(PostgresValue.bigEndian(Int32(bytes.count)))
          buffer.append(bytes)
        } else {
          buffer.append(PostgresValue.bigEndian(Int32(-1)))
        }
      }
      if buffer.count >= 8 << 20 { flush() }
    }
    buffer.append(PostgresValue.bigEndian(Int16(-1)))
    flush()
    // An error while sending ends the COPY with that message: the server rolls the rows back.
    guard PQputCopyEnd(connection, failed) == 1 else {
      throw PostgresError(sqlState: nil, message: String(cString: PQerrorMessage(connection)), source: source)
    }
    var error: PostgresError?
    while let result = PQgetResult(connection) {
      if PQresultStatus(result) != PGRES_COMMAND_OK && error == nil { error = Self.error(result, source) }
      PQclear(result)
    }
    if let error { throw error }
    if let failed { throw PostgresError(sqlState: nil, message: failed, source: source) }
  }

  /// Runs `body` in one transaction: committed when it returns, rolled back when it throws. A deadlock or
  /// serialization failure (two ingests writing the same light curves in opposite orders) retries the whole
  /// transaction, as PostgreSQL's documentation asks of clients.
  func transaction<T>(_ body: () throws -> T) throws -> T {
    var attempt = 0
    while true {
      try execute("BEGIN")
      do {
        let value = try body()
        try execute("COMMIT")
        return value
      } catch {
        _ = try? execute("ROLLBACK")
        attempt += 1
        if let e = error as? PostgresError, e.isTransient, attempt < 8 {
          usleep(UInt32.random(in: 1_000...20_000) * UInt32(attempt))
          continue
        }
        throw error
      }
    }
  }

  /// Gives libpq a C pointer to each parameter's bytes (nil for NULL) for the duration of `body`.
  private func withParameterPointers<R>(_ values: [Data?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    // One contiguous buffer holds every parameter; pointers into it stay valid while it is borrowed.
    var buffer = Data()
    var offsets: [Int?] = []
    for value in values {
      if let value {
        offsets.append(buffer.count)
        buffer.append(value)
      } else {
        offsets.append(nil)
      }
    }
    buffer.append(0)  // never an empty buffer, so baseAddress is never nil
    return buffer.withUnsafeBytes { raw in
      let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
      return body(offsets.map { $0.map { UnsafePointer(base + $0) } })
    }
  }
}

/// A statement the server refused, with its SQLSTATE (`23505` unique violation, `40P01` deadlock, ...).
struct PostgresError: Error, CustomStringConvertible {
  var sqlState: String?
  var message: String
  var source: String

  /// Deadlocks and serialization failures: the transaction may simply be run again.
  var isTransient: Bool { sqlState == "40P01" || sqlState == "40001" }
  /// The connection is gone (the server restarted, a proxy dropped it): SQLSTATE class 08, or no result at all.
  var lostConnection: Bool { sqlState == nil || sqlState!.hasPrefix("08") || sqlState == "57P01" }

  var description: String { "\(source): \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "") }
}
