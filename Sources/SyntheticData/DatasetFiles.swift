import AstroIO
import Foundation

/// Writes generated sets as `.npy` files named `<name>.<stamp>.npy`, braai's layout, into a folder
/// (created when missing). Every array is written atomically; the paths written are returned in order.
public enum SyntheticDatasetFiles {
  /// braai's three files plus the kinds:
  /// - `triplets.<stamp>.npy`: float32 `(N, size, size, 3)`, channels science, template, difference
  /// - `labels.<stamp>.npy`: float32 `(N,)`, 1 real, 0 bogus (float32, as AstroNN's loader writes them)
  /// - `candids.<stamp>.npy`: int64 `(N,)`
  /// - `kinds.<stamp>.txt`: one `TripletKind` name per line, in sample order
  @discardableResult
  public static func writeTriplets(_ output: ZTFTripletGenerator.Output, size: Int = 63, folder: String,
                                   stamp: String) throws -> [String] {
    let count = output.labels.count
    let values = size * size * 3
    guard output.triplets.count == count * values else {
      throw SyntheticDataError("triplets", "\(output.triplets.count) floats do not make \(count) cutouts of \(size)x\(size)x3")
    }
    guard output.candids.count == count, output.kinds.count == count else {
      throw SyntheticDataError("output", "\(count) labels but \(output.candids.count) candids and \(output.kinds.count) kinds")
    }
    let path = try prepare(folder: folder, stamp: stamp)
    return try [
      write(NpyArray(shape: [count, size, size, 3], floats: output.triplets), to: path("triplets", "npy")),
      write(NpyArray(shape: [count], floats: output.labels), to: path("labels", "npy")),
      write(NpyArray(shape: [count], int64s: output.candids), to: path("candids", "npy")),
      writeLines(output.kinds, to: path("kinds", "txt")),
    ]
  }

  /// The streak set:
  /// - `streaks.<stamp>.npy`: float32 `(N, size, size, 1)`
  /// - `labels_rb.<stamp>.npy`, `labels_sl.<stamp>.npy`, `labels_kd.<stamp>.npy`: float32 `(N,)` 0/1
  /// - `mask_slkd.<stamp>.npy`: uint8 `(N,)`, 1 where sl and kd apply (real streaks), 0 for bogus
  /// - `ids.<stamp>.npy`: int64 `(N,)`
  /// - `lengths.<stamp>.npy`: float32 `(N,)`, trail length in pixels (0 for bogus)
  /// - `kinds.<stamp>.txt`: one `StreakKind` name per line
  @discardableResult
  public static func writeStreaks(_ set: StreakSet, size: Int = 144, folder: String, stamp: String) throws -> [String] {
    let count = set.count
    guard set.streaks.count == count * size * size else {
      throw SyntheticDataError("streaks", "\(set.streaks.count) floats do not make \(count) cutouts of \(size)x\(size)")
    }
    let columns = [set.labelsRB.count, set.labelsSL.count, set.labelsKD.count, set.slkdApplicable.count,
                   set.kinds.count, set.lengths.count]
    guard columns.allSatisfy({ $0 == count }) else {
      throw SyntheticDataError("set", "per-sample arrays have lengths \(columns), expected \(count)")
    }
    let path = try prepare(folder: folder, stamp: stamp)
    return try [
      write(NpyArray(shape: [count, size, size, 1], floats: set.streaks), to: path("streaks", "npy")),
      write(NpyArray(shape: [count], floats: set.labelsRB), to: path("labels_rb", "npy")),
      write(NpyArray(shape: [count], floats: set.labelsSL), to: path("labels_sl", "npy")),
      write(NpyArray(shape: [count], floats: set.labelsKD), to: path("labels_kd", "npy")),
      write(NpyArray(shape: [count], uint8s: set.slkdApplicable.map { $0 ? 1 : 0 }), to: path("mask_slkd", "npy")),
      write(NpyArray(shape: [count], int64s: set.ids), to: path("ids", "npy")),
      write(NpyArray(shape: [count], floats: set.lengths), to: path("lengths", "npy")),
      writeLines(set.kinds, to: path("kinds", "txt")),
    ]
  }

  /// Throws unless `stamp` is usable in file names: non-empty ASCII letters, digits, '-', '_' or '.', and
  /// not "." or "..". Lets a command line reject a bad stamp before generating anything.
  public static func checkStamp(_ stamp: String) throws {
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
    guard !stamp.isEmpty, stamp.allSatisfy(allowed.contains), stamp != ".", stamp != ".." else {
      throw SyntheticDataError("stamp", "must be non-empty letters, digits, '-', '_' or '.', got '\(stamp)'")
    }
  }

  /// Checks the stamp, creates the folder, and returns a function naming `<name>.<stamp>.<extension>` in it.
  private static func prepare(folder: String, stamp: String) throws -> (String, String) -> String {
    try checkStamp(stamp)
    guard !folder.isEmpty else { throw SyntheticDataError("folder", "must not be empty") }
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      throw SyntheticDataError(folder, "cannot create the output folder: \(error.localizedDescription)")
    }
    return { name, ext in (folder as NSString).appendingPathComponent("\(name).\(stamp).\(ext)") }
  }

  private static func write(_ array: NpyArray, to path: String) throws -> String {
    try array.write(to: path)
    return path
  }

  private static func writeLines(_ lines: [String], to path: String) throws -> String {
    let text = lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    do {
      try text.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
      throw SyntheticDataError(path, "cannot write: \(error.localizedDescription)")
    }
    return path
  }
}
