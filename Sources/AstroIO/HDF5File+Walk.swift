import Foundation

// Walking a file's tree, bounded: HDF5 hard links may make a group contain itself, and a hostile file may nest
// groups without end, so every walk has a depth and an object limit instead of trusting the file.
extension HDF5File {
  /// Calls `body` with the path of every object below `group` (depth first, members in name order) and whether it
  /// is a group. Throws naming the path when the tree is deeper than `maximumDepth` or holds more than
  /// `maximumObjects` objects (a cycle of hard links reaches both).
  public func walk(
    from group: String = "/", maximumDepth: Int = 32, maximumObjects: Int = 100_000,
    _ body: (_ path: String, _ isGroup: Bool) throws -> Void
  ) throws {
    var visited = 0
    func visit(_ group: String, depth: Int) throws {
      guard depth <= maximumDepth else {
        throw HDF5Error(file: path, object: group, reason: "groups nested deeper than \(maximumDepth) (a cycle of links?)")
      }
      for child in try children(of: group) {
        visited += 1
        guard visited <= maximumObjects else {
          throw HDF5Error(file: path, object: group, reason: "more than \(maximumObjects) objects (a cycle of links?)")
        }
        let member = group == "/" ? "/\(child)" : "\(group)/\(child)"
        let isGroup = self.isGroup(member)
        try body(member, isGroup)
        if isGroup { try visit(member, depth: depth + 1) }
      }
    }
    try visit(HDF5Path.normalize(group), depth: 0)
  }

  /// Reads the whole file as a loader would, without keeping anything: every group, every numeric dataset's values
  /// (under the size checks of `readFloats`) and the string attributes Keras writes. A file that passes can be
  /// loaded without libhdf5 meeting any part it has not already read; `HDF5Isolation` runs this in a child process.
  public func readEverything() throws {
    let kerasAttributes = ["layer_names", "weight_names", "model_config", "training_config", "keras_version", "backend"]
    func attributes(_ object: String) throws {
      for name in kerasAttributes { _ = try stringAttribute(name, of: object) }
    }
    try attributes("/")
    try walk { object, isGroup in
      if isGroup {
        try attributes(object)
      } else if isDataset(object) {
        _ = try readFloats(object)
      }
    }
  }
}
