import Crypto
import Foundation
import GRDB

/// Errors of the labelling store; each names the project, item, labeller or file concerned. The server maps
/// them to HTTP statuses (404, 400, 403, 409, 500).
public enum LabelStoreError: Error, CustomStringConvertible, Equatable {
  case notFound(String)
  case invalid(String)
  case forbidden(String)
  case conflict(String)
  case store(String)

  public var description: String {
    switch self {
    case .notFound(let m), .invalid(let m), .forbidden(let m), .conflict(let m), .store(let m): return m
    }
  }
}

/// A labeller's role: admins create projects, import, export and see agreement; labellers label.
public enum LabellerRole: String, Codable, Sendable, CaseIterable {
  case admin, labeller
}

/// A person (or program) who labels, identified by a bearer token.
public struct Labeller: Codable, Equatable, Sendable {
  public let id: Int64
  public let name: String
  public let role: LabellerRole
}

/// A labelling project: its classes and rules.
public struct LabelProject: Codable, Equatable, Sendable {
  public let id: Int64
  public let name: String
  public let classes: [String]
  /// Whether an item may carry several classes (Zwickyverse's checkboxes); otherwise exactly one.
  public let multiLabel: Bool
  /// Labels from distinct labellers after which an item leaves the queue.
  public let labelsPerItem: Int
  /// Whether the queue and page hide the model's score.
  public let blind: Bool
}

/// The labelling store: projects, datasets of items with their triplets, labellers, and the append-only log of
/// label events, in one SQLite file (GRDB). Every write is one transaction: a failed call writes nothing.
public final class LabelStore: Sendable {
  let queue: DatabaseQueue
  public let path: String

  /// Creates a new store at `path`; refuses an existing non-empty file.
  public static func create(path: String) throws -> LabelStore {
    if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > 0 {
      throw LabelStoreError.conflict("\(path) already exists; open it instead of creating it")
    }
    let queue = try Self.connect(path)
    do {
      try LabelSchema.migrator().migrate(queue)
    } catch {
      throw LabelStoreError.store("\(path): cannot create the schema: \(error)")
    }
    return LabelStore(queue: queue, path: path)
  }

  /// Opens an existing store; a missing, empty or foreign file, or one from a newer version, is refused and left
  /// untouched.
  public init(path: String) throws {
    guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else {
      throw LabelStoreError.notFound("\(path): no such labelling store (create one with `label init`)")
    }
    guard size > 0 else { throw LabelStoreError.invalid("\(path) is empty, not a labelling store") }
    let queue = try Self.connect(path)
    let (application, version): (Int32, Int) = try Self.guarded(path) {
      try queue.read { db in
        (try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0, try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0)
      }
    }
    guard application == LabelSchema.applicationID else {
      throw LabelStoreError.invalid("\(path) is not a labelling store (application id \(application))")
    }
    guard version == LabelSchema.currentVersion else {
      throw LabelStoreError.invalid("\(path) has schema version \(version); this build reads version \(LabelSchema.currentVersion)")
    }
    self.queue = queue
    self.path = path
  }

  private init(queue: DatabaseQueue, path: String) {
    self.queue = queue
    self.path = path
  }

  private static func connect(_ path: String) throws -> DatabaseQueue {
    var configuration = Configuration()
    configuration.foreignKeysEnabled = true
    configuration.busyMode = .timeout(5)
    do {
      return try DatabaseQueue(path: path, configuration: configuration)
    } catch {
      throw LabelStoreError.store("\(path): cannot open: \(error)")
    }
  }

  /// Runs `body`, turning SQLite and decoding errors into `LabelStoreError.store` naming the file.
  static func guarded<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as LabelStoreError {
      throw error
    } catch {
      throw LabelStoreError.store("\(path): \(error)")
    }
  }

  func read<T>(_ body: (Database) throws -> T) throws -> T { try Self.guarded(path) { try queue.read(body) } }
  func write<T>(_ body: (Database) throws -> T) throws -> T { try Self.guarded(path) { try queue.write(body) } }

  static var now: Double { Date().timeIntervalSince1970 }

  /// What is wrong with the file, empty when nothing is: SQLite's own integrity check, references that point
  /// nowhere, and triplets whose size disagrees with their item's shape.
  public func consistencyProblems() throws -> [String] {
    try read { db in
      var problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
      for row in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") {
        let table: String = try row.decode(atIndex: 0), parent: String = try row.decode(atIndex: 2)
        problems.append("a row of \(table) refers to a missing row of \(parent)")
      }
      let malformed = try Int.fetchOne(db, sql: "SELECT count(*) FROM items WHERE length(triplet) != height * width * channels * 4") ?? 0
      if malformed > 0 { problems.append("\(malformed) items whose triplet does not match their shape") }
      return problems
    }
  }

  // MARK: - Labellers

  /// Adds a labeller and returns the bearer token, which is shown this once: only its SHA-256 is stored.
  public func addLabeller(name: String, role: LabellerRole) throws -> (labeller: Labeller, token: String) {
    let trimmed = name.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty, trimmed.count <= 100 else { throw LabelStoreError.invalid("labeller name must be 1 to 100 characters") }
    var bytes = [UInt8](repeating: 0, count: 32)
    var generator = SystemRandomNumberGenerator()
    for i in bytes.indices { bytes[i] = UInt8.random(in: .min ... .max, using: &generator) }
    let token = bytes.map { String(format: "%02x", $0) }.joined()
    let id = try write { db -> Int64 in
      if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM labellers WHERE name = ?", arguments: [trimmed]) ?? 0 > 0 {
        throw LabelStoreError.conflict("a labeller named '\(trimmed)' exists")
      }
      try db.execute(sql: "INSERT INTO labellers (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                     arguments: [trimmed, role.rawValue, Self.hash(token), Self.now])
      return db.lastInsertedRowID
    }
    return (Labeller(id: id, name: trimmed, role: role), token)
  }

  /// The labeller a bearer token belongs to; nil for an unknown token.
  public func labeller(token: String) throws -> Labeller? {
    guard token.count == 64, token.allSatisfy(\.isHexDigit) else { return nil }
    return try read { db in
      try Row.fetchOne(db, sql: "SELECT id, name, role FROM labellers WHERE token_hash = ?", arguments: [Self.hash(token)])
        .map(Self.labeller)
    }
  }

  /// Every labeller.
  public func labellers() throws -> [Labeller] {
    try read { db in try Row.fetchAll(db, sql: "SELECT id, name, role FROM labellers ORDER BY id").map(Self.labeller) }
  }

  static func labeller(_ row: Row) throws -> Labeller {
    let role: String = try row.decode(forColumn: "role")
    guard let parsed = LabellerRole(rawValue: role) else { throw LabelStoreError.store("labeller role '\(role)' is unknown") }
    return Labeller(id: try row.decode(forColumn: "id"), name: try row.decode(forColumn: "name"), role: parsed)
  }

  static func hash(_ token: String) -> String {
    SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
  }

  // MARK: - Projects

  /// Creates a project; class names must be distinct and non-empty.
  public func createProject(name: String, classes: [String], multiLabel: Bool = false, labelsPerItem: Int = 1, blind: Bool = false) throws
    -> LabelProject
  {
    let name = name.trimmingCharacters(in: .whitespaces)
    let classes = classes.map { $0.trimmingCharacters(in: .whitespaces) }
    guard !name.isEmpty, name.count <= 200 else { throw LabelStoreError.invalid("project name must be 1 to 200 characters") }
    guard classes.count >= 2 || (multiLabel && classes.count >= 1), classes.allSatisfy({ !$0.isEmpty && $0.count <= 100 }),
      Set(classes).count == classes.count
    else {
      throw LabelStoreError.invalid("classes must be distinct non-empty names (at least two for a single-label project)")
    }
    guard (1...100).contains(labelsPerItem) else { throw LabelStoreError.invalid("labels per item must be 1 to 100") }
    let json = String(decoding: try JSONEncoder().encode(classes), as: UTF8.self)
    let id = try write { db -> Int64 in
      if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM projects WHERE name = ?", arguments: [name]) ?? 0 > 0 {
        throw LabelStoreError.conflict("a project named '\(name)' exists")
      }
      try db.execute(sql: """
        INSERT INTO projects (name, classes, multi_label, labels_per_item, blind, created_at) VALUES (?, ?, ?, ?, ?, ?)
        """, arguments: [name, json, multiLabel, labelsPerItem, blind, Self.now])
      return db.lastInsertedRowID
    }
    return LabelProject(id: id, name: name, classes: classes, multiLabel: multiLabel, labelsPerItem: labelsPerItem, blind: blind)
  }

  /// The project with `id`.
  public func project(id: Int64) throws -> LabelProject {
    try read { db in try Self.project(db, id: id) }
  }

  /// The project named `name`.
  public func project(named name: String) throws -> LabelProject {
    try read { db in
      guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM projects WHERE name = ?", arguments: [name]) else {
        throw LabelStoreError.notFound("no project named '\(name)'")
      }
      return try Self.project(db, id: id)
    }
  }

  /// Every project.
  public func projects() throws -> [LabelProject] {
    try read { db in try Int64.fetchAll(db, sql: "SELECT id FROM projects ORDER BY id").map { try Self.project(db, id: $0) } }
  }

  static func project(_ db: Database, id: Int64) throws -> LabelProject {
    guard let row = try Row.fetchOne(db, sql: "SELECT * FROM projects WHERE id = ?", arguments: [id]) else {
      throw LabelStoreError.notFound("no project \(id)")
    }
    let classesJSON: String = try row.decode(forColumn: "classes")
    guard let classes = try? JSONDecoder().decode([String].self, from: Data(classesJSON.utf8)) else {
      throw LabelStoreError.store("project \(id): classes are not a JSON array of names")
    }
    return LabelProject(id: id, name: try row.decode(forColumn: "name"), classes: classes, multiLabel: try row.decode(forColumn: "multi_label"),
                        labelsPerItem: try row.decode(forColumn: "labels_per_item"), blind: try row.decode(forColumn: "blind"))
  }
}
