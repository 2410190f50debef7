import AlertStore
import Crypto
import Foundation
import Hummingbird
import NIOCore

/// The query API's routes, after Kowalski's and BOOM's (described in openapi.yaml beside this file). Every route but
/// `GET /health` needs `Authorization: Bearer TOKEN`. Queries never carry SQL: `find` and `count` take an
/// `AlertFilter`, which binds values to a fixed list of columns.
enum AlertServer {
  static let maximumBody = 1 << 20
  static let maximumLimit = 10_000
  static let maximumPositions = 1000

  static func router(store: any AlertDatabase, tokens: TokenSet) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.get("health") { _, _ in json(.object([("status", .string("ok"))])) }
    let api = router.group("api").add(middleware: BearerTokens(tokens: tokens))
    api.post("queries") { request, context in
      let buffer = try await request.body.collect(upTo: maximumBody)
      return json(try mapped { try query(Data(buffer: buffer), store) })
    }
    api.get("alerts/:candid") { _, context in
      let candid = try context.parameters.require("candid", as: Int64.self)
      return json(
        try mapped {
          guard let alert = try store.alert(candid: candid) else { throw HTTPError(.notFound, message: "candid \(candid) is not in the store") }
          return AlertRendering.json(alert, scores: try store.scores(candid: candid))
        })
    }
    api.get("alerts/:candid/cutouts.png") { _, context in
      let candid = try context.parameters.require("candid", as: Int64.self)
      return png(
        try mapped {
          guard let cutouts = try store.cutouts(candid: candid) else {
            throw HTTPError(.notFound, message: "no cutouts stored for candid \(candid)")
          }
          return try CutoutTripletImage(cutouts: cutouts).png()
        })
    }
    api.get("objects/:objectId/lightcurve") { request, context in
      let objectId = try context.parameters.require("objectId")
      let format = request.uri.queryParameters["format"].map(String.init) ?? "json"
      guard format == "json" || format == "png" else { throw HTTPError(.badRequest, message: "format must be json or png, not '\(format)'") }
      let points = try mapped { try store.lightCurve(objectId: objectId) }
      guard !points.isEmpty else { throw HTTPError(.notFound, message: "object \(objectId) has no light curve in the store") }
      if format == "png" { return png(try mapped { try LightCurvePlot(objectId: objectId, points: points).png() }) }
      return json(.object([("objectId", .string(objectId)), ("lightcurve", .array(points.map(AlertRendering.json)))]))
    }
    return router
  }

  // MARK: - POST /api/queries

  /// `{"query_type": "cone_search" | "find" | "count", "query": {...}, "kwargs": {"limit", "skip", "projection"}}`.
  static func query(_ body: Data, _ store: any AlertDatabase) throws -> JSONText {
    guard let request = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
      throw HTTPError(.badRequest, message: "the body must be a JSON object")
    }
    guard let type = request["query_type"] as? String else { throw HTTPError(.badRequest, message: "missing query_type") }
    let query = request["query"] as? [String: Any] ?? [:]
    let kwargs = request["kwargs"] as? [String: Any] ?? [:]
    let limit = try integer(kwargs["limit"], "kwargs.limit", default: 1000, range: 0...maximumLimit)
    let skip = try integer(kwargs["skip"], "kwargs.skip", default: 0, range: 0...Int(Int32.max))
    let projection = try Projection(kwargs["projection"])
    let data: JSONText
    switch type {
    case "cone_search":
      data = try coneSearch(query, limit: limit, projection: projection, store)
    case "find":
      let filter = try AlertFilter(json: query["filter"], source: "query.filter")
      data = .array(try store.find(filter, limit: limit, skip: skip).map { projection.apply(AlertRendering.json($0)) })
    case "count":
      data = .int(Int64(try store.count(AlertFilter(json: query["filter"], source: "query.filter"))))
    default:
      throw HTTPError(.badRequest, message: "unknown query_type '\(type)' (cone_search, find, count)")
    }
    return .object([("status", .string("success")), ("query_type", .string(type)), ("data", data)])
  }

  /// Kowalski's cone search: `object_coordinates.radec` is `[ra, dec]` (answered under "target") or
  /// `{"name": [ra, dec], ...}`; `cone_search_radius` in `cone_search_unit` (arcsec, arcmin, deg, rad; default
  /// arcsec); optional `jd_min`, `jd_max`. Each position's alerts come nearest first, with `distance_arcsec`.
  static func coneSearch(_ query: [String: Any], limit: Int, projection: Projection, _ store: any AlertDatabase) throws -> JSONText {
    guard let coordinates = query["object_coordinates"] as? [String: Any] else {
      throw HTTPError(.badRequest, message: "cone_search needs query.object_coordinates")
    }
    var positions: [(String, Any)]
    if let list = coordinates["radec"] as? [Any] {
      positions = [("target", list)]
    } else if let named = coordinates["radec"] as? [String: Any] {
      positions = named.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    } else {
      throw HTTPError(.badRequest, message: "object_coordinates.radec must be [ra, dec] or {name: [ra, dec], ...}")
    }
    guard positions.count <= maximumPositions else {
      throw HTTPError(.badRequest, message: "at most \(maximumPositions) positions per cone_search, got \(positions.count)")
    }
    let unit = coordinates["cone_search_unit"] as? String ?? "arcsec"
    let perUnit: [String: Double] = ["arcsec": 1, "arcmin": 60, "deg": 3600, "rad": 180 / .pi * 3600]
    guard let scale = perUnit[unit] else {
      throw HTTPError(.badRequest, message: "cone_search_unit must be arcsec, arcmin, deg or rad, not '\(unit)'")
    }
    let radius = try number(coordinates["cone_search_radius"], "object_coordinates.cone_search_radius") * scale
    let jdMin = try query["jd_min"].map { try number($0, "query.jd_min") }
    let jdMax = try query["jd_max"].map { try number($0, "query.jd_max") }
    var results: [(String, JSONText)] = []
    for (name, value) in positions {
      guard let pair = value as? [Any], pair.count == 2 else {
        throw HTTPError(.badRequest, message: "radec of '\(name)' must be [ra, dec] in degrees")
      }
      let cone = ConeQuery(
        ra: try number(pair[0], "radec.\(name)[0]"), dec: try number(pair[1], "radec.\(name)[1]"), radiusArcsec: radius,
        jdMin: jdMin, jdMax: jdMax)
      let matches = try store.coneSearch(cone).prefix(limit)
      results.append(
        (
          name,
          .array(
            matches.map { m in
              guard case .object(var members) = projection.apply(AlertRendering.json(m.alert)) else { return .null }
              members.append(("distance_arcsec", .double(m.distanceArcsec)))
              return .object(members)
            })
        ))
    }
    return .object(results)
  }

  /// `kwargs.projection`: the alert fields to return, as a list of names or `{name: 1, ...}` (`_id`-style
  /// exclusions are not supported); nil returns every field.
  struct Projection {
    let fields: Set<String>?

    init(_ value: Any?) throws {
      if value == nil || value is NSNull {
        fields = nil
      } else if let list = value as? [String] {
        fields = Set(list)
      } else if let object = value as? [String: Any] {
        fields = Set(object.filter { ($0.value as? NSNumber)?.intValue == 1 }.keys)
        guard fields?.count == object.count else {
          throw HTTPError(.badRequest, message: "kwargs.projection: only inclusions ({field: 1}) are supported")
        }
      } else {
        throw HTTPError(.badRequest, message: "kwargs.projection must be a list of fields or {field: 1, ...}")
      }
    }

    func apply(_ alert: JSONText) -> JSONText {
      guard let fields, case .object(let members) = alert else { return alert }
      return .object(members.filter { fields.contains($0.0) })
    }
  }

  static func number(_ value: Any?, _ what: String) throws -> Double {
    guard let n = AlertFilter.number(value) else { throw HTTPError(.badRequest, message: "\(what) must be a number") }
    return n
  }

  static func integer(_ value: Any?, _ what: String, default: Int, range: ClosedRange<Int>) throws -> Int {
    guard let value, !(value is NSNull) else { return `default` }
    let n = try number(value, what)
    guard n == n.rounded(), n >= Double(range.lowerBound), n <= Double(range.upperBound) else {
      throw HTTPError(.badRequest, message: "\(what) must be an integer in \(range.lowerBound)...\(range.upperBound)")
    }
    return Int(n)
  }

  // MARK: - Responses and errors

  /// Runs store calls, turning a refused query (`AlertStoreError` from validation) into 400 and anything else into
  /// 500 with the detail in the server's log only.
  static func mapped<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as HTTPError {
      throw error
    } catch let error as AlertStoreError where ["cone search", "query.filter"].contains(error.source) {
      throw HTTPError(.badRequest, message: error.description)
    } catch {
      FileHandle.standardError.write(Data("alerts serve: \(error)\n".utf8))
      throw HTTPError(.internalServerError, message: "the alert store failed; see the server's log")
    }
  }

  static func json(_ value: JSONText) -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.rendered)))
  }

  static func png(_ data: Data) -> Response {
    Response(status: .ok, headers: [.contentType: "image/png"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }
}

/// The accepted bearer tokens, kept as SHA-256 digests.
struct TokenSet: Sendable {
  private let digests: Set<Data>

  /// One token per line of `file`; blank lines and lines starting with # are skipped. Refuses a file without any.
  init(file: String) throws {
    let text: String
    do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
      throw AlertStoreError(source: file, reason: "cannot read the token file: \(error.localizedDescription)")
    }
    let tokens = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    guard !tokens.isEmpty else { throw AlertStoreError(source: file, reason: "no token in the token file") }
    digests = Set(tokens.map { Data(SHA256.hash(data: Data($0.utf8))) })
  }

  func accepts(_ token: Substring) -> Bool { digests.contains(Data(SHA256.hash(data: Data(token.utf8)))) }
}

/// `Authorization: Bearer TOKEN` on every route under /api: 401 without a known token.
struct BearerTokens: RouterMiddleware {
  let tokens: TokenSet

  func handle(
    _ request: Request, context: BasicRequestContext, next: (Request, BasicRequestContext) async throws -> Response
  ) async throws -> Response {
    guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
      throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "missing bearer token")
    }
    guard tokens.accepts(header.dropFirst("Bearer ".count)) else {
      throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "unknown bearer token")
    }
    return try await next(request, context)
  }
}
