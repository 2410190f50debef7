// label: the labelling store and its web page.
//   swift run -c release label init --db L.sqlite
//   swift run -c release label user add --db L.sqlite --name ann --role admin
//   swift run -c release label project add --db L.sqlite --name real-bogus --classes bogus,real [--labels-per-item 2] [--blind]
//   swift run -c release label import --db L.sqlite --project real-bogus --npy DIR --stamp S [--dataset NAME] [--gold N]
//   swift run -c release label import --db L.sqlite --project real-bogus --alerts Datasets/ztf-alerts
//   swift run -c release label serve --db L.sqlite --port 8080 [--host 127.0.0.1]
//   swift run -c release label export --db L.sqlite --project real-bogus --format zwickyverse|labelstudio|kowalski|npy --out PATH
//   swift run -c release label retrain --db L.sqlite --project real-bogus --positive real [--weights d6_m7.h5] [--strategy bald]
//   swift run -c release label demo --out DIR
import ArgumentParser
import AstroIO
import Foundation
import Hummingbird
import Labeling
import ZTFAlerts

@main
struct LabelCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "label", abstract: "Label alerts with the model in the loop: a store, a web page and a JSON API.",
    subcommands: [Init.self, User.self, ProjectCommand.self, Import.self, Serve.self, Export.self, Retrain.self, Demo.self])
}

struct Init: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Create a new labelling store.")
  @Option(help: "The store to create (refused if the file exists).") var db: String
  func run() throws {
    _ = try LabelStore.create(path: db)
    print("created \(db)")
  }
}

struct User: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Manage labellers.", subcommands: [Add.self, List.self])

  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add a labeller; prints their token once (only its hash is stored).")
    @Option(help: "The store.") var db: String
    @Option(help: "The labeller's name.") var name: String
    @Option(help: "admin or labeller.") var role: String = "labeller"
    func run() throws {
      guard let role = LabellerRole(rawValue: role) else { throw ValidationError("--role must be admin or labeller") }
      let (labeller, token) = try LabelStore(path: db).addLabeller(name: name, role: role)
      print("\(labeller.name) (\(labeller.role.rawValue)) token: \(token)")
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List labellers.")
    @Option(help: "The store.") var db: String
    func run() throws {
      for labeller in try LabelStore(path: db).labellers() { print("\(labeller.id)\t\(labeller.name)\t\(labeller.role.rawValue)") }
    }
  }
}

struct ProjectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "project", abstract: "Manage projects.", subcommands: [Add.self])

  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a project.")
    @Option(help: "The store.") var db: String
    @Option(help: "Project name.") var name: String
    @Option(help: "Comma-separated class names.") var classes: String
    @Flag(help: "Items may carry several classes.") var multiLabel = false
    @Option(help: "Labels from distinct labellers after which an item is retired.") var labelsPerItem = 1
    @Flag(help: "Hide the model's score from labellers.") var blind = false
    func run() throws {
      let project = try LabelStore(path: db).createProject(
        name: name, classes: classes.split(separator: ",").map(String.init), multiLabel: multiLabel, labelsPerItem: labelsPerItem, blind: blind)
      print("project \(project.id): \(project.name) [\(project.classes.joined(separator: ", "))]")
    }
  }
}

struct Import: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Import items from braai's .npy layout (triplets.<stamp>.npy, candids.<stamp>.npy when present) or from ZTF alert packets.",
    discussion: """
      --npy DIR --stamp S reads braai's files; with --gold N, the first N items become gold items whose known class is \
      labels.<stamp>.npy's (a class index into the project's classes). --alerts DIR reads every .avro packet below DIR and \
      imports each alert's triplet (braai's row normalisation) under its candid, with its objectId.
      """)
  @Option(help: "The store.") var db: String
  @Option(help: "Project name.") var project: String
  @Option(help: "Folder holding triplets.<stamp>.npy.") var npy: String?
  @Option(help: "File stamp of --npy.") var stamp = "train"
  @Option(help: "Folder of ZTF alert packets (.avro) instead of --npy.") var alerts: String?
  @Option(help: "Dataset name (default: the stamp, or the alert folder's name).") var dataset: String?
  @Option(help: "Items to mark as gold, with labels.<stamp>.npy as their answers.") var gold = 0

  func validate() throws {
    guard (npy == nil) != (alerts == nil) else { throw ValidationError("give exactly one of --npy DIR and --alerts DIR") }
  }

  func run() throws {
    let store = try LabelStore(path: db)
    let target = try store.project(named: project)
    if let alerts {
      let name = dataset ?? URL(fileURLWithPath: alerts).lastPathComponent
      let (items, failures) = try alertItems(alerts)
      for failure in failures { FileHandle.standardError.write(Data("skipped \(failure)\n".utf8)) }
      try store.importItems(projectID: target.id, dataset: name, items: items)
      print("imported \(items.count) alerts into \(target.name)/\(name)")
      return
    }
    guard let npy else { return }
    let folder = URL(fileURLWithPath: npy)
    let triplets = try NpyArray.read(path: folder.appendingPathComponent("triplets.\(stamp).npy").path)
    guard triplets.shape.count == 4 else { throw ValidationError("triplets.\(stamp).npy has shape \(triplets.shape), not (N, H, W, C)") }
    let (n, h, w, c) = (triplets.shape[0], triplets.shape[1], triplets.shape[2], triplets.shape[3])
    let candidsPath = folder.appendingPathComponent("candids.\(stamp).npy").path
    let candids = FileManager.default.fileExists(atPath: candidsPath) ? try NpyArray.read(path: candidsPath).int64s() : nil
    guard candids.map({ $0.count == n }) ?? true else { throw ValidationError("candids.\(stamp).npy does not hold \(n) ids") }
    var labels: [Int]?
    if gold > 0 {
      let values = try NpyArray.read(path: folder.appendingPathComponent("labels.\(stamp).npy").path).floats()
      guard values.allSatisfy({ $0.isFinite && $0 >= 0 && $0 < Float(target.classes.count) }) else {
        throw ValidationError("labels.\(stamp).npy must hold class indices 0..<\(target.classes.count) (found a value outside)")
      }
      labels = values.map { Int($0.rounded()) }
      guard labels!.count == n, labels!.allSatisfy({ target.classes.indices.contains($0) }) else {
        throw ValidationError("labels.\(stamp).npy must hold \(n) class indices into \(target.classes)")
      }
    }
    let values = triplets.floats(), per = h * w * c
    let items = (0..<n).map { i in
      NewLabelItem(externalID: candids.map { String($0[i]) } ?? "\(stamp)-\(i)", candid: candids?[i], height: h, width: w, channels: c,
                   triplet: Array(values[(i * per)..<((i + 1) * per)]), gold: i < gold ? labels.map { [target.classes[$0[i]]] } : nil)
    }
    try store.importItems(projectID: target.id, dataset: dataset ?? stamp, items: items)
    print("imported \(n) items into \(target.name)/\(dataset ?? stamp)")
  }

  /// Every alert's triplet in the packets below `folder`; packets that cannot be read are reported, not fatal.
  func alertItems(_ folder: String) throws -> ([NewLabelItem], [String]) {
    guard let walker = FileManager.default.enumerator(atPath: folder) else { throw ValidationError("\(folder): cannot list the folder") }
    let files = walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".avro") }.sorted()
      .map { URL(fileURLWithPath: folder).appendingPathComponent($0).path }
    guard !files.isEmpty else { throw ValidationError("\(folder) holds no .avro alert packets") }
    var items = [NewLabelItem](), failures = [String]()
    for file in files {
      do {
        for alert in try AlertReader.read(path: file) {
          items.append(NewLabelItem(externalID: String(alert.candid), candid: alert.candid, objectID: alert.objectId, height: 63, width: 63,
                                    channels: 3, triplet: try Triplet.make(alert, normalization: .row)))
        }
      } catch {
        failures.append("\(file): \(error)")
      }
    }
    return (items, failures)
  }
}

struct Serve: AsyncParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Serve the labelling page and JSON API.")
  @Option(help: "The store.") var db: String
  @Option(help: "Port (0: any free port; the one chosen is printed).") var port = 8080
  @Option(help: "Address to listen on.") var host = "127.0.0.1"

  func run() async throws {
    let store = try LabelStore(path: db)
    let app = Application(
      router: LabelServer.router(store: store), configuration: .init(address: .hostname(host, port: port), serverName: "astrolearn-label"),
      onServerRunning: { channel in
        // Written straight to the file descriptor (unbuffered): a test or script waits for this line.
        FileHandle.standardOutput.write(Data("listening on http://\(host):\(channel.localAddress?.port ?? port)\n".utf8))
      })
    try await app.runService()
  }
}

struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Export a project's labels.")
  @Option(help: "The store.") var db: String
  @Option(help: "Project name.") var project: String
  @Option(help: "zwickyverse, labelstudio, kowalski, or npy (braai's training files).") var format: String
  @Option(help: "Output file (JSON formats) or folder (npy).") var out: String
  @Option(help: "majority or dawid-skene.") var consensus = "majority"
  @Option(help: "npy: the class whose items get label 1.") var positive: String?
  @Option(help: "npy: file stamp.") var stamp = "labels"

  func run() throws {
    let store = try LabelStore(path: db)
    let target = try store.project(named: project)
    guard let method = ConsensusMethod(rawValue: consensus) else { throw ValidationError("--consensus must be majority or dawid-skene") }
    if format == "npy" {
      guard let positive else { throw ValidationError("--positive CLASS is needed for npy") }
      for path in try store.exportTrainingArrays(projectID: target.id, positiveClass: positive, folder: out, stamp: stamp, consensus: method) {
        print(path)
      }
      return
    }
    guard let kind = ExportFormat(rawValue: format) else { throw ValidationError("--format must be zwickyverse, labelstudio, kowalski or npy") }
    try AtomicFile.write([try store.export(projectID: target.id, format: kind, consensus: method)], to: out)
    print(out)
  }
}
