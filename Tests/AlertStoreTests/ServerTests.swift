import AlertStore
import Foundation
import XCTest

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// `alerts serve` end to end over loopback, on the test's backend, with the 44 real packets.
final class ServerTests: StoreTestCase {
  private let token = "test-token-\(UUID().uuidString)"
  private var base = ""
  private var server: Process?

  override func tearDown() {
    if let server, server.isRunning {
      server.terminate()
      server.waitUntilExit()
    }
    super.tearDown()
  }

  /// Ingests the real packets and starts the server on a free port; returns the store's location.
  @discardableResult
  private func startServer() throws -> String {
    let folder = try StoreFixtures.temporaryFolder(for: self)
    let db = try storeLocation(in: folder)
    let ingest = try AlertsBinary.run(["ingest", try StoreFixtures.realPacketFolder(), "--db", db, "--quiet"], in: folder)
    XCTAssertEqual(ingest.status, 0, ingest.stderr)
    try "# tokens\n\(token)\n".write(toFile: folder + "/tokens", atomically: true, encoding: .utf8)
    for _ in 0..<5 {
      let port = Int.random(in: 20_000...60_000)
      let process = try AlertsBinary.start(
        ["serve", "--db", db, "--port", String(port), "--token-file", folder + "/tokens"], log: folder + "/serve.log")
      base = "http://127.0.0.1:\(port)"
      for _ in 0..<100 where process.isRunning {
        if (try? request("GET", "/health", token: .some(nil)).status) == 200 {
          server = process
          storeLocationForChecks = db
          return db
        }
        usleep(50_000)
      }
      process.terminate()
      process.waitUntilExit()
    }
    let log = (try? String(contentsOfFile: folder + "/serve.log", encoding: .utf8)) ?? ""
    XCTFail("alerts serve did not answer on five random ports: \(log)")
    throw AlertStoreError(source: "alerts serve", reason: "not started")
  }

  private struct Reply {
    var status: Int
    var body: Data
    var contentType: String
    var json: Any? { try? JSONSerialization.jsonObject(with: body) }
    var text: String { String(decoding: body, as: UTF8.self) }
  }

  private func request(_ method: String, _ path: String, body: String? = nil, token: String?? = .none) throws -> Reply {
    var request = URLRequest(url: URL(string: base + path)!)
    request.httpMethod = method
    let bearer = token ?? self.token
    if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
    if let body {
      request.httpBody = Data(body.utf8)
      request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    }
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var reply: Reply?
    nonisolated(unsafe) var failure: Error?
    URLSession.shared.dataTask(with: request) { data, response, error in
      if let response = response as? HTTPURLResponse {
        reply = Reply(
          status: response.statusCode, body: data ?? Data(),
          contentType: response.value(forHTTPHeaderField: "Content-Type") ?? "")
      }
      failure = error
      done.signal()
    }.resume()
    _ = done.wait(timeout: .now() + 30)
    if let failure { throw failure }
    guard let reply else { throw XCTSkip("no reply from \(path)") }
    return reply
  }

  func testEveryAPIRouteNeedsAToken() throws {
    try startServer()
    for (method, path) in [
      ("POST", "/api/queries"), ("GET", "/api/alerts/1127495406315015005"), ("GET", "/api/objects/ZTF20aajcdad/lightcurve"),
      ("GET", "/api/alerts/1127495406315015005/cutouts.png"),
    ] {
      let body = method == "POST" ? #"{"query_type": "count"}"# : nil
      XCTAssertEqual(try request(method, path, body: body, token: .some(nil)).status, 401, path)
      XCTAssertEqual(try request(method, path, body: body, token: "wrong").status, 401, path)
      XCTAssertEqual(try request(method, path, body: body).status, 200, path)
    }
    XCTAssertEqual(try request("GET", "/health", token: .some(nil)).status, 200)
  }

  func testConeSearchFindAndCountAnswerAsTheStoreDoes() throws {
    try startServer()
    let expected = try StoreFixtures.expectedPackets()
    let target = try XCTUnwrap(expected.first { $0.candid == 1_127_536_316_315_015_004 })
    let cone = try request(
      "POST", "/api/queries",
      body: """
        {"query_type": "cone_search", "query": {"object_coordinates": {"radec": {"a": [\(target.ra), \(target.dec)], "empty": [10, 10]},
         "cone_search_radius": 2, "cone_search_unit": "arcsec"}}, "kwargs": {"projection": ["candid", "objectId"]}}
        """)
    XCTAssertEqual(cone.status, 200, cone.text)
    let data = try XCTUnwrap((cone.json as? [String: Any])?["data"] as? [String: [[String: Any]]], cone.text)
    XCTAssertEqual(Set(data["a"]?.compactMap { ($0["candid"] as? NSNumber)?.int64Value } ?? []), [1_127_495_406_315_015_005, target.candid])
    XCTAssertEqual(Set(data["a"]?.first?.keys.map { $0 } ?? []), ["candid", "objectId", "distance_arcsec"])
    XCTAssertEqual(data["empty"]?.count, 0)

    // Find: drb > 0.9 among g-band alerts, checked against the packets' own values.
    let find = try request(
      "POST", "/api/queries", body: #"{"query_type": "find", "query": {"filter": {"candidate.drb": {"$gt": 0.9}, "fid": 1}}, "kwargs": {"limit": 100}}"#)
    XCTAssertEqual(find.status, 200, find.text)
    let found = try XCTUnwrap((find.json as? [String: Any])?["data"] as? [[String: Any]])
    let store = try openAlertDatabase(try XCTUnwrap(storeLocationForChecks), readOnly: true)
    let brute = try expected.filter { e in
      let fid = try store.alert(candid: e.candid)?.fid
      return (e.drb ?? 0) > 0.9 && fid == 1
    }
    XCTAssertEqual(Set(found.compactMap { ($0["candid"] as? NSNumber)?.int64Value }), Set(brute.map(\.candid)))
    XCTAssertGreaterThan(found.count, 3)
    let jds = found.compactMap { $0["jd"] as? Double }
    XCTAssertEqual(jds, jds.sorted(), "by jd")

    let count = try request("POST", "/api/queries", body: #"{"query_type": "count", "query": {"filter": {"drb": {"$gt": 0.9}}}}"#)
    XCTAssertEqual((count.json as? [String: Any])?["data"] as? Int, expected.filter { ($0.drb ?? 0) > 0.9 }.count)
    let all = try request("POST", "/api/queries", body: #"{"query_type": "count"}"#)
    XCTAssertEqual((all.json as? [String: Any])?["data"] as? Int, 44)
    let page = try request("POST", "/api/queries", body: #"{"query_type": "find", "query": {"filter": {}}, "kwargs": {"limit": 5, "skip": 40}}"#)
    XCTAssertEqual(((page.json as? [String: Any])?["data"] as? [Any])?.count, 4)
  }

  /// Where `startServer` put the store (for the checks that read it directly).
  private var storeLocationForChecks: String?

  func testAlertLightCurveAndCutoutRoutes() throws {
    try startServer()
    let alert = try request("GET", "/api/alerts/1127495406315015005")
    XCTAssertEqual(alert.status, 200)
    let object = try XCTUnwrap(alert.json as? [String: Any])
    XCTAssertEqual(object["objectId"] as? String, "ZTF20aajcdad")
    XCTAssertNotNil((object["candidate"] as? [String: Any])?["sgscore1"])
    XCTAssertEqual((object["scores"] as? [Any])?.count, 0)
    XCTAssertEqual(try request("GET", "/api/alerts/42").status, 404)
    XCTAssertEqual(try request("GET", "/api/alerts/notanumber").status, 400)

    let curve = try request("GET", "/api/objects/ZTF20aajcdad/lightcurve")
    XCTAssertEqual(curve.status, 200)
    let points = try XCTUnwrap((curve.json as? [String: Any])?["lightcurve"] as? [[String: Any]])
    XCTAssertEqual(Set(points.compactMap { $0["kind"] as? String }), ["detection", "upper_limit"])
    let plot = try request("GET", "/api/objects/ZTF20aajcdad/lightcurve?format=png")
    XCTAssertEqual(plot.contentType, "image/png")
    XCTAssertEqual(Array(plot.body.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    XCTAssertEqual(try request("GET", "/api/objects/ZTF20aajcdad/lightcurve?format=svg").status, 400)
    XCTAssertEqual(try request("GET", "/api/objects/ZTF99zzzzzzz/lightcurve").status, 404)
    let stamps = try request("GET", "/api/alerts/1127495406315015005/cutouts.png")
    XCTAssertEqual(stamps.status, 200)
    XCTAssertEqual(Array(stamps.body.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
  }

  /// Bad queries get 400 naming what is wrong; a filter can name only the indexed columns, so no SQL gets through;
  /// the store is unchanged afterwards.
  func testBadQueriesAreRefusedWithTheirReason() throws {
    try startServer()
    for (body, message) in [
      ("not json", "JSON object"), (#"{"query": {}}"#, "missing query_type"),
      (#"{"query_type": "aggregate"}"#, "unknown query_type 'aggregate'"),
      (#"{"query_type": "find", "query": {"filter": {"drb; DROP TABLE alerts": 1}}}"#, "is not a column a filter can use"),
      (#"{"query_type": "find", "query": {"filter": {"drb": {"$where": "1"}}}}"#, "unknown operator '$where'"),
      (#"{"query_type": "find", "query": {"filter": {"drb": "high"}}}"#, "must be a number"),
      (#"{"query_type": "find", "query": {"filter": {"fid": 1.5}}}"#, "must be an integer"),
      (#"{"query_type": "find", "query": {"filter": {"fid": true}}}"#, "must be a number"),
      (#"{"query_type": "find", "query": {"filter": {"objectId": {"$in": []}}}}"#, "$in takes a list"),
      (#"{"query_type": "find", "kwargs": {"limit": 1000000}}"#, "kwargs.limit must be an integer in 0...10000"),
      (#"{"query_type": "cone_search", "query": {}}"#, "needs query.object_coordinates"),
      (#"{"query_type": "cone_search", "query": {"object_coordinates": {"radec": [400, 0], "cone_search_radius": 1}}}"#, "ra = 400.0"),
      (#"{"query_type": "cone_search", "query": {"object_coordinates": {"radec": [1, 0], "cone_search_radius": 1, "cone_search_unit": "furlong"}}}"#, "cone_search_unit"),
    ] {
      let reply = try request("POST", "/api/queries", body: body)
      XCTAssertEqual(reply.status, 400, "\(body): \(reply.text)")
      XCTAssertTrue(reply.text.contains(message), "\(body): \(reply.text)")
    }
    let big = String(repeating: " ", count: (1 << 20) + 10)
    XCTAssertEqual(try request("POST", "/api/queries", body: big).status, 413)
    let count = try request("POST", "/api/queries", body: #"{"query_type": "count"}"#)
    XCTAssertEqual((count.json as? [String: Any])?["data"] as? Int, 44, "the store is unchanged")
  }
}
