import Foundation
import Hummingbird
import Labeling
import NIOCore

/// The request context: who is asking (set by `BearerAuthentication`), and the body limit (413 beyond it).
struct LabelContext: RequestContext {
  var coreContext: CoreRequestContextStorage
  var labeller: Labeller?

  init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
  }

  var maxUploadSize: Int { LabelServer.maximumBody }

  /// The caller, or 401 (the middleware has already refused unauthenticated requests).
  func caller() throws -> Labeller {
    guard let labeller else { throw HTTPError(.unauthorized, message: "missing or unknown bearer token") }
    return labeller
  }

  /// The caller when an admin, else 403.
  func admin() throws -> Labeller {
    let caller = try caller()
    guard caller.role == .admin else { throw HTTPError(.forbidden, message: "'\(caller.name)' is a labeller; this route is for admins") }
    return caller
  }
}

/// `Authorization: Bearer TOKEN` on every route under /api: 401 without a known token.
struct BearerAuthentication: RouterMiddleware {
  let store: LabelStore

  func handle(_ request: Request, context: LabelContext, next: (Request, LabelContext) async throws -> Response) async throws -> Response {
    guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
      throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "missing bearer token")
    }
    guard let labeller = try LabelServer.mapped({ try store.labeller(token: String(header.dropFirst("Bearer ".count))) }) else {
      throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "unknown bearer token")
    }
    var context = context
    context.labeller = labeller
    return try await next(request, context)
  }
}

/// The labelling server's routes. Every route but `GET /health` and the page (`GET /`) needs a bearer token; the
/// page itself asks for one and sends it with each API call.
enum LabelServer {
  static let maximumBody = 64 * 1024

  static func router(store: LabelStore) -> Router<LabelContext> {
    let router = Router(context: LabelContext.self)
    router.get("health") { _, _ in try json(["status": "ok"]) }
    router.get("/") { _, _ in
      Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: LabelPage.html)))
    }
    let api = router.group("api").add(middleware: BearerAuthentication(store: store))
    api.get("me") { _, context in try encoded(try context.caller()) }
    api.get("projects") { _, context in
      _ = try context.caller()
      return try encoded(try mapped { try store.projects() }.map(ProjectJSON.init))
    }
    api.post("projects") { request, context in
      _ = try context.admin()
      let body = try await decode(LabelRequests.NewProject.self, request, context)
      let project = try mapped { try body.apply(to: store) }
      return try encoded(["id": project.id], status: .created)
    }
    api.get("projects/:project/queue") { request, context in
      let caller = try context.caller()
      let project = try context.parameters.require("project", as: Int64.self)
      let query = request.uri.queryParameters
      let count = try query["n"].map { text -> Int in
        guard let n = Int(text) else { throw HTTPError(.badRequest, message: "n must be an integer, got '\(text)'") }
        return n
      } ?? 10
      let order = try query["strategy"].map { text -> QueueOrder in
        guard let order = QueueOrder(rawValue: String(text)) else {
          throw HTTPError(.badRequest, message: "unknown strategy '\(text)' (\(QueueOrder.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return order
      } ?? .acquisition
      let (version, entries) = try mapped { try store.queue(projectID: project, labeller: caller, count: count, order: order) }
      return try encoded(QueueJSON(modelVersion: version, items: entries.map(QueueItemJSON.init)))
    }
    api.get("projects/:project/progress") { _, context in
      _ = try context.caller()
      let project = try context.parameters.require("project", as: Int64.self)
      return try encoded(try mapped { try progress(store, project) })
    }
    api.post("projects/:project/undo") { _, context in
      let caller = try context.caller()
      let project = try context.parameters.require("project", as: Int64.self)
      guard let event = try mapped({ try store.undo(projectID: project, labeller: caller) }) else { return Response(status: .noContent) }
      return try encoded(event)
    }
    api.get("projects/:project/agreement") { _, context in
      _ = try context.admin()
      let project = try context.parameters.require("project", as: Int64.self)
      return try encoded(try mapped { try store.agreement(projectID: project) })
    }
    api.get("projects/:project/export") { request, context in
      _ = try context.admin()
      let project = try context.parameters.require("project", as: Int64.self)
      let text = request.uri.queryParameters["format"].map(String.init) ?? ""
      guard let format = ExportFormat(rawValue: text) else {
        throw HTTPError(.badRequest, message: "format must be one of \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      let data = try mapped { try store.export(projectID: project, format: format) }
      return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
    api.get("items/:item") { _, context in
      let caller = try context.caller()
      let item = try context.parameters.require("item", as: Int64.self)
      // A gold item's answer is for admins only: a labeller who could read it would pass every gold check.
      return try encoded(ItemJSON(try mapped { try store.item(id: item) }, showGold: caller.role == .admin))
    }
    api.get("items/:item/triplet.png") { _, context in
      _ = try context.caller()
      let item = try context.parameters.require("item", as: Int64.self)
      let png = try mapped { try store.tripletPNG(itemID: item) }
      return Response(status: .ok, headers: [.contentType: "image/png", .cacheControl: "private, max-age=3600"],
                      body: .init(byteBuffer: ByteBuffer(bytes: png)))
    }
    api.post("items/:item/labels") { request, context in
      let caller = try context.caller()
      let item = try context.parameters.require("item", as: Int64.self)
      let body = try await decode(LabelRequests.NewLabel.self, request, context)
      let event = try mapped { try body.apply(to: store, itemID: item, labeller: caller) }
      return try encoded(event, status: .created)
    }
    return router
  }

  /// Runs a store call, mapping its errors to HTTP statuses with the store's message.
  static func mapped<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as LabelStoreError {
      switch error {
      case .notFound(let m): throw HTTPError(.notFound, message: m)
      case .invalid(let m): throw HTTPError(.badRequest, message: m)
      case .forbidden(let m): throw HTTPError(.forbidden, message: m)
      case .conflict(let m): throw HTTPError(.conflict, message: m)
      case .store(let m):
        // The detail (file path, SQLite's text) goes to the server's log, not to the client.
        FileHandle.standardError.write(Data("store error: \(m)\n".utf8))
        throw HTTPError(.internalServerError, message: "the labelling store failed; see the server's log")
      }
    }
  }

  /// Decodes a JSON body (at most `maximumBody` bytes: 413 beyond), 400 naming what is wrong.
  static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: LabelContext) async throws -> T {
    let buffer = try await request.body.collect(upTo: maximumBody)
    do {
      return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
    } catch let error as DecodingError {
      throw HTTPError(.badRequest, message: "bad JSON body: \(describe(error))")
    }
  }

  static func describe(_ error: DecodingError) -> String {
    switch error {
    case .keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
    case .typeMismatch(_, let c), .valueNotFound(_, let c):
      return "field '\(c.codingPath.map(\.stringValue).joined(separator: "."))': \(c.debugDescription)"
    case .dataCorrupted(let c): return c.debugDescription
    @unknown default: return "\(error)"
    }
  }

  static func encoded<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return Response(status: status, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
  }

  static func json(_ value: [String: String]) throws -> Response { try encoded(value) }

  static func progress(_ store: LabelStore, _ project: Int64) throws -> ProgressJSON {
    let items = try store.items(projectID: project)
    let labels = try store.standingAnswers(projectID: project).filter { $0.kind == .label }
    var perLabeller = [String: Int]()
    for answer in labels { perLabeller[answer.labellerName, default: 0] += 1 }
    return ProgressJSON(items: items.count, labelled: Set(labels.map(\.itemID)).count, perLabeller: perLabeller)
  }
}

struct ProjectJSON: Encodable {
  let id: Int64, name: String, classes: [String], multiLabel: Bool, labelsPerItem: Int, blind: Bool
  init(_ p: LabelProject) {
    (id, name, classes, multiLabel, labelsPerItem, blind) = (p.id, p.name, p.classes, p.multiLabel, p.labelsPerItem, p.blind)
  }
  private enum CodingKeys: String, CodingKey { case id, name, classes, multiLabel = "multi_label", labelsPerItem = "labels_per_item", blind }
}

struct ItemJSON: Encodable {
  let id: Int64, dataset: String, externalID: String, candid: Int64?, objectID: String?, height: Int, width: Int, channels: Int
  let gold: [String]?
  init(_ i: LabelItem, showGold: Bool) {
    (id, dataset, externalID, candid, objectID) = (i.id, i.dataset, i.externalID, i.candid, i.objectID)
    (height, width, channels, gold) = (i.height, i.width, i.channels, showGold ? i.gold : nil)
  }
  private enum CodingKeys: String, CodingKey {
    case id, dataset, externalID = "external_id", candid, objectID = "object_id", height, width, channels, gold
  }
}

struct QueueItemJSON: Encodable {
  let id: Int64, externalID: String, candid: Int64?, score: Double?
  init(_ e: QueueEntry) { (id, externalID, candid, score) = (e.id, e.externalID, e.candid, e.score) }
  private enum CodingKeys: String, CodingKey { case id, externalID = "external_id", candid, score }
}

struct QueueJSON: Encodable {
  let modelVersion: String?
  let items: [QueueItemJSON]
  private enum CodingKeys: String, CodingKey { case modelVersion = "model_version", items }
}

struct ProgressJSON: Encodable {
  let items: Int, labelled: Int
  let perLabeller: [String: Int]
  private enum CodingKeys: String, CodingKey { case items, labelled, perLabeller = "per_labeller" }
}
