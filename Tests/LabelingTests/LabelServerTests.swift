import AstroIO
import Foundation
import Labeling
import TestSupport
import XCTest

/// `label serve` end to end over loopback with a real HTTP client: two labellers and an admin, authentication and
/// roles, validation, agreement, and the exports parsed back.
final class LabelServerTests: XCTestCase {
  var scratch: TemporaryFolder!
  var folder: URL { scratch.url }
  var server: Process?
  var base = ""

  override func setUpWithError() throws {
    scratch = try TemporaryFolder("label-server")
    // Loopback requests must not go through a proxy from the environment.
    setenv("no_proxy", "127.0.0.1,localhost", 1)
    setenv("NO_PROXY", "127.0.0.1,localhost", 1)
  }

  override func tearDownWithError() throws {
    server?.terminate()
    server?.waitUntilExit()
    scratch = nil
  }

  var db: String { folder.appendingPathComponent("labels.sqlite").path }

  func label(_ arguments: [String]) throws -> String {
    let run = try runProduct("label", arguments)
    XCTAssertEqual(run.status, 0, "label \(arguments.joined(separator: " ")): \(run.stderr)")
    return run.stdout
  }

  func token(_ output: String) -> String { String(output.split(separator: " ").last!.trimmingCharacters(in: .whitespacesAndNewlines)) }

  func startServer() throws {
    let started = try startLabelServer(db: db)
    (server, base) = (started.process, started.address)
  }

  /// One request; returns the status and body.
  func request(_ method: String, _ path: String, token: String? = nil, json: Any? = nil, body: Data? = nil) throws -> (Int, Data) {
    try labelServerRequest(method, base + path, token: token, json: json, body: body)
  }

  func object(_ data: Data) throws -> [String: Any] { try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any]) }

  func testTwoLabellersAnAdminAndTheExports() throws {
    _ = try label(["init", "--db", db])
    let admin = token(try label(["user", "add", "--db", db, "--name", "boss", "--role", "admin"]))
    let ann = token(try label(["user", "add", "--db", db, "--name", "ann", "--role", "labeller"]))
    let bob = token(try label(["user", "add", "--db", db, "--name", "bob", "--role", "labeller"]))
    try startServer()

    XCTAssertEqual(try request("GET", "/health").0, 200)
    XCTAssertEqual(try request("GET", "/api/projects").0, 401)
    XCTAssertEqual(try request("GET", "/api/projects", token: String(repeating: "a", count: 64)).0, 401)
    XCTAssertEqual(try request("POST", "/api/projects", token: ann, json: ["name": "rb", "classes": ["bogus", "real"]]).0, 403)
    XCTAssertEqual(try request("POST", "/api/projects", token: admin, body: Data("{not json".utf8)).0, 400)
    XCTAssertEqual(try request("POST", "/api/projects", token: admin, json: ["name": "rb"]).0, 400)
    let (created, body) = try request("POST", "/api/projects", token: admin, json: ["name": "rb", "classes": ["bogus", "real"], "labels_per_item": 2])
    XCTAssertEqual(created, 201)
    let project = try XCTUnwrap(try object(body)["id"] as? Int)

    // Four items with candids, imported from braai's .npy layout.
    let data = folder.appendingPathComponent("npy").path
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    try NpyArray(shape: [4, 6, 6, 3], floats: (0..<(4 * 108)).map { Float($0 % 17) / 17 }).write(to: data + "/triplets.n1.npy")
    try NpyArray(shape: [4], int64s: [501, 502, 503, 504]).write(to: data + "/candids.n1.npy")
    _ = try label(["import", "--db", db, "--project", "rb", "--npy", data, "--stamp", "n1"])

    let store = try LabelStore(path: db)
    func eventCount() throws -> Int { try store.events(projectID: Int64(project)).count }

    // Each labeller labels the whole queue: ann says real for the first two, bob for the first and third.
    let answers = ["ann": (ann, ["real", "real", "bogus", "bogus"]), "bob": (bob, ["real", "bogus", "real", "bogus"])]
    for (_, (token, labels)) in answers {
      let (status, queueBody) = try request("GET", "/api/projects/\(project)/queue?n=10&strategy=sequential", token: token)
      XCTAssertEqual(status, 200)
      let items = try XCTUnwrap(try object(queueBody)["items"] as? [[String: Any]])
      XCTAssertEqual(items.compactMap { $0["candid"] as? Int }, [501, 502, 503, 504])
      for (item, answer) in zip(items, labels) {
        let id = item["id"] as! Int
        let (status, _) = try request("POST", "/api/items/\(id)/labels", token: token, json: ["labels": [answer], "seconds": 1.5, "unsure": false])
        XCTAssertEqual(status, 201)
      }
    }
    let (pngStatus, png) = try request("GET", "/api/items/1/triplet.png", token: ann)
    XCTAssertEqual(pngStatus, 200)
    XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])

    // Failed requests write nothing.
    let before = try eventCount()
    XCTAssertEqual(try request("POST", "/api/items/1/labels", token: ann, json: ["labels": ["cat"]]).0, 400)
    XCTAssertEqual(try request("POST", "/api/items/99/labels", token: ann, json: ["labels": ["real"]]).0, 404)
    XCTAssertEqual(try request("POST", "/api/items/1/labels", token: ann, body: Data(("{\"labels\": [\"" + String(repeating: "x", count: 70_000) + "\"]}").utf8)).0, 413)
    XCTAssertEqual(try request("POST", "/api/items/1/labels", token: ann, json: ["labels": ["real"], "seconds": "slow"]).0, 400)
    XCTAssertEqual(try eventCount(), before)

    XCTAssertEqual(try request("GET", "/api/projects/\(project)/agreement", token: ann).0, 403)
    let (agreementStatus, agreementBody) = try request("GET", "/api/projects/\(project)/agreement", token: admin)
    XCTAssertEqual(agreementStatus, 200)
    let agreement = try object(agreementBody)
    // ann: r r b b, bob: r b r b → p_o = 1/2, p_e = 1/2: kappa 0.
    let pairs = try XCTUnwrap(agreement["pairs"] as? [[String: Any]])
    XCTAssertEqual(pairs.count, 1)
    XCTAssertEqual(pairs[0]["cohen_kappa"] as! Double, 0, accuracy: 1e-12)
    XCTAssertEqual(pairs[0]["n"] as? Int, 4)
    // Fleiss: per-item agreement 1, 0, 0, 1 (mean 1/2); category shares 1/2 each (chance 1/2): kappa 0.
    XCTAssertEqual((agreement["fleiss_kappa"] as! Double), 0, accuracy: 1e-12)
    XCTAssertEqual((agreement["conflicts"] as? [Any])?.count, 2)

    let (_, zwicky) = try request("GET", "/api/projects/\(project)/export?format=zwickyverse", token: admin)
    let datasets = try XCTUnwrap(try JSONSerialization.jsonObject(with: zwicky) as? [String: [String: [String]]])
    XCTAssertEqual(datasets["n1"], ["501": ["real"], "504": ["bogus"]], "ties have no majority")
    let (_, kowalski) = try request("GET", "/api/projects/\(project)/export?format=kowalski", token: admin)
    let byCandid = try XCTUnwrap(try JSONSerialization.jsonObject(with: kowalski) as? [String: [String: Any]])
    XCTAssertEqual(byCandid["501"]?["human_labels"] as? [String: Double], ["real": 1])
    let (_, studio) = try request("GET", "/api/projects/\(project)/export?format=labelstudio", token: admin)
    let tasks = try XCTUnwrap(try JSONSerialization.jsonObject(with: studio) as? [[String: Any]])
    XCTAssertEqual(tasks.count, 4)
    XCTAssertEqual(Set((tasks[1]["annotations"] as! [[String: Any]]).compactMap { $0["completed_by"] as? String }), ["ann", "bob"])
    XCTAssertEqual(try request("GET", "/api/projects/\(project)/export?format=csv", token: admin).0, 400)
    XCTAssertEqual(try request("GET", "/api/projects/77/queue", token: ann).0, 404)
    let (_, itemBody) = try request("GET", "/api/items/1", token: ann)
    XCTAssertEqual(try object(itemBody)["external_id"] as? String, "501")
  }

  /// The page in headless Chromium (driven over the DevTools protocol by Browser/label_three_items.py): sign in,
  /// label three items with the "2" key, and find three label events of that labeller in the store.
  func testThePageLabelsThreeItemsWithTheKeyboard() throws {
    guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
      throw XCTSkip("chromium is not installed (make test installs Debian's chromium)")
    }
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { throw XCTSkip("python3 is not installed") }
    let store = try LabelStore.create(path: db)
    let project = try store.createProject(name: "rb", classes: ["bogus", "real"])
    let items = (0..<5).map { (i: Int) -> NewLabelItem in
      let pixels: [Float] = (0..<75).map { (k: Int) -> Float in Float((k * (i + 3)) % 11) }
      return NewLabelItem(externalID: "item\(i)", candid: Int64(700 + i), height: 5, width: 5, channels: 3, triplet: pixels)
    }
    try store.importItems(projectID: project.id, dataset: "n1", items: items)
    let (ann, token) = try store.addLabeller(name: "ann", role: .labeller)
    try startServer()
    let script = SharedData.packageRoot.appendingPathComponent("Tests/LabelingTests/Browser/label_three_items.py").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    process.arguments = [script, chromium, base + "/", token, "2"]
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, errors)
    let result = try object(output)
    let captions = try XCTUnwrap(result["captions"] as? [String])
    XCTAssertEqual(captions.count, 3)
    let events = try store.events(projectID: project.id).filter { $0.labellerID == ann.id }
    XCTAssertEqual(events.count, 3)
    XCTAssertTrue(events.allSatisfy { $0.kind == .label && $0.labels == ["real"] && ($0.seconds ?? -1) > 0 })
    let labelled = try events.map { try store.item(id: $0.itemID).externalID }
    XCTAssertEqual(labelled, captions.map { String($0.split(separator: " ").first ?? "") }, "the items shown are the items labelled")
  }

  /// `label import --alerts`: every bundled packet's triplet under its candid and objectId; importing the same
  /// packets again is refused whole, naming the first repeated candid.
  func testImportsAlertPackets() throws {
    _ = try label(["init", "--db", db])
    _ = try label(["project", "add", "--db", db, "--name", "rb", "--classes", "bogus,real"])
    let packets = SharedData.packageRoot.appendingPathComponent("Datasets/ztf-alerts").path
    XCTAssertTrue(try label(["import", "--db", db, "--project", "rb", "--alerts", packets]).contains("imported 10 alerts"))
    let store = try LabelStore(path: db)
    let items = try store.items(projectID: 1)
    XCTAssertEqual(items.count, 10)
    XCTAssertTrue(items.allSatisfy { $0.candid.map(String.init) == $0.externalID && $0.objectID?.hasPrefix("ZTF") == true })
    XCTAssertEqual(try store.triplet(itemID: items[0].id).values.count, 63 * 63 * 3)
    let again = try runProduct("label", ["import", "--db", db, "--project", "rb", "--alerts", packets])
    XCTAssertNotEqual(again.status, 0)
    XCTAssertTrue(again.stderr.contains("already in dataset"), again.stderr)
    XCTAssertEqual(try store.items(projectID: 1).count, 10)
  }
}
