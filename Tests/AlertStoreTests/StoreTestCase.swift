@testable import AlertStore
import Foundation
import XCTest

/// The engine a store test runs on.
enum StoreBackend: String {
  case sqlite
  case postgres
}

/// A test case that runs on either backend: SQLite, or PostgreSQL when `ALERTSTORE_TEST_BACKEND=postgres`.
/// `make test` runs these classes twice, once per backend (STORE_BACKEND_TESTS in the Makefile lists them).
/// Tests make their stores with `emptyStore()` and `realStore()`, and pass `storeLocation(in:)` to `alerts --db`.
///
/// Why an environment variable rather than a subclass per backend: on Linux, SwiftPM's test discovery does not
/// list the test methods a subclass inherits.
class StoreTestCase: XCTestCase {
  static let backend: StoreBackend = {
    let name = ProcessInfo.processInfo.environment["ALERTSTORE_TEST_BACKEND"] ?? "sqlite"
    guard let backend = StoreBackend(rawValue: name) else {
      fatalError("ALERTSTORE_TEST_BACKEND=\(name): use sqlite or postgres")
    }
    return backend
  }()

  /// Where this test's store lives: a file in `folder` for SQLite, a fresh database on the test server for
  /// PostgreSQL (dropped when the test ends).
  func storeLocation(in folder: String) throws -> String {
    switch Self.backend {
    case .sqlite: return folder + "/alerts.sqlite"
    case .postgres: return try PostgresTestServer.freshDatabase(for: self)
    }
  }

  /// A fresh empty store.
  func emptyStore() throws -> any AlertDatabase {
    try openAlertDatabase(try storeLocation(in: StoreFixtures.temporaryFolder(for: self)), create: true)
  }

  /// A store holding the 44 real packets, ingested in batches of 10.
  func realStore() throws -> (any AlertDatabase, IngestReport) {
    let database = try emptyStore()
    return (database, try StoreFixtures.ingestRealPackets(into: database))
  }
}

/// The PostgreSQL server `make test` starts for the tests (Tests/Servers/postgres.sh) and names in
/// `ALERTSTORE_TEST_POSTGRES_URL`, a superuser's URL. Each test gets a database of its own.
enum PostgresTestServer {
  static let variable = "ALERTSTORE_TEST_POSTGRES_URL"

  /// The server's admin URL, or a skip saying how to get one.
  static func adminURL() throws -> String {
    guard let url = ProcessInfo.processInfo.environment[variable], !url.isEmpty else {
      throw XCTSkip(
        "no PostgreSQL test server: `make test` starts one (Tests/Servers/postgres.sh start DIR PORT prints the URL to put in \(variable))")
    }
    return url
  }

  /// Creates an empty database, dropped (with its connections) when the test ends; returns its URL.
  static func freshDatabase(for test: XCTestCase) throws -> String {
    let admin = try adminURL()
    let name = "alertstore_test_" + UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: "")
    let connection = try LibPQConnection(url: admin, source: "test server")
    try connection.execute("CREATE DATABASE \(name)")
    test.addTeardownBlock {
      _ = try? LibPQConnection(url: admin, source: "test server").execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
    guard var components = URLComponents(string: admin) else { throw XCTSkip("\(variable) is not a URL: \(admin)") }
    components.path = "/" + name
    return components.string!
  }

  /// Runs SQL on a test database as the superuser (to damage a store on purpose).
  static func execute(_ sql: String, on url: String) throws {
    try LibPQConnection(url: url, source: url).executeScript(sql)
  }
}
