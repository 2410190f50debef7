import Foundation

/// Up to `capacity` libpq connections shared by the threads of one process: a caller borrows one for a statement
/// or a transaction and gives it back. Connections open on demand; one the server dropped (a restart, an idle
/// timeout) is discarded and replaced by the next borrower rather than handed out again.
final class PostgresConnectionPool: @unchecked Sendable {
  private let url: String
  let source: String
  /// Statements every new connection runs first (session settings).
  private let setup: [String]
  let capacity: Int
  private let condition = NSCondition()
  private var idle: [LibPQConnection] = []
  private var open = 0

  init(url: String, source: String, capacity: Int, setup: [String] = []) {
    self.url = url
    self.setup = setup
    self.source = source
    self.capacity = max(1, capacity)
  }

  func withConnection<T>(_ body: (LibPQConnection) throws -> T) throws -> T {
    let connection = try borrow()
    defer { giveBack(connection) }
    return try body(connection)
  }

  private func borrow() throws -> LibPQConnection {
    condition.lock()
    while idle.isEmpty && open >= capacity { condition.wait() }
    if let connection = idle.popLast() {
      condition.unlock()
      return connection
    }
    open += 1
    condition.unlock()
    do {
      let connection = try LibPQConnection(url: url, source: source)
      for statement in setup { try connection.execute(statement) }
      return connection
    } catch {
      condition.lock()
      open -= 1
      condition.signal()
      condition.unlock()
      throw error
    }
  }

  private func giveBack(_ connection: LibPQConnection) {
    let healthy = connection.isHealthy
    condition.lock()
    if healthy { idle.append(connection) } else { open -= 1 }
    condition.signal()
    condition.unlock()
  }
}
