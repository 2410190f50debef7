import AstroKernels
import Foundation
import Labeling

extension FuzzTargets {
  /// Request bodies of the labelling server: the first byte chooses the request (even: a new project, odd: a new
  /// label), the rest is its JSON body, decoded and applied to a scratch store as the server does.
  static let labelTargets: [FuzzTarget] = [
    FuzzTarget("label-request", "a labelling server request body (new project or new label) applied to a store") { data in
      guard let selector = data.first else { return }
      let body = Data(data.dropFirst())
      try LabelFixture.withStore { store, itemID, labeller in
        if selector % 2 == 0 {
          _ = try JSONDecoder().decode(LabelRequests.NewProject.self, from: body).apply(to: store)
        } else {
          _ = try JSONDecoder().decode(LabelRequests.NewLabel.self, from: body).apply(to: store, itemID: itemID, labeller: labeller)
        }
      }
    }
  ]
}

/// A scratch labelling store with one project (classes real, bogus), one item and one labeller, made afresh every
/// 1,000 requests so that a long run does not grow one file without end.
enum LabelFixture {
  struct State: Sendable {
    var store: LabelStore, itemID: Int64, labeller: Labeller, uses: Int
  }
  static let state = LockedValue<State?>(nil)
  static let path: String = {
    let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return (folder as NSString).appendingPathComponent("astro-fuzz-\(getpid())-labels.sqlite")
  }()

  static func withStore(_ body: (LabelStore, Int64, Labeller) throws -> Void) throws {
    var current = state.get()
    if current == nil || current!.uses >= 1_000 {
      state.set(nil)
      for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
      let store = try LabelStore.create(path: path)
      let project = try store.createProject(name: "rb", classes: ["real", "bogus"])
      let item = NewLabelItem(externalID: "1", candid: 1, height: 2, width: 2, channels: 3, triplet: [Float](repeating: 0.5, count: 12))
      _ = try store.importItems(projectID: project.id, dataset: "d", items: [item])
      let itemID = try store.items(projectID: project.id)[0].id
      current = State(store: store, itemID: itemID, labeller: try store.addLabeller(name: "fuzz", role: .labeller).labeller, uses: 0)
    }
    current!.uses += 1
    state.set(current)
    try body(current!.store, current!.itemID, current!.labeller)
  }
}
