import AstroKernels
import AstroNN
import AstroTensor
import Dispatch
import Foundation
import ZTFAlerts

/// One scored alert.
public struct ScoredAlert: Sendable, Equatable {
  /// The packet file it came from.
  public let file: String
  public let candid: Int64
  public let objectId: String
  /// braai's real/bogus score from the model used.
  public let score: Float
  /// The production score carried by the packet (`candidate.drb`), when present.
  public let drb: Double?
}

/// A packet that could not be scored, and why.
public struct ScoringFailure: Error, Sendable, CustomStringConvertible {
  public let file: String
  public let reason: String
  public var description: String { "\(file): \(reason)" }
}

/// Scores ZTF alert packets with braai: decode, build triplets, run the model.
///
/// Decoding and triplet building run in parallel over the files; the model runs on batches. A packet that
/// fails (corrupt Avro, bad gzip, odd FITS) is reported and the others are still scored, in input order.
public struct AlertScorer {
  /// The float or int8 braai that scores the triplets.
  public let model: any TripletScoring
  public let normalization: TripletNormalization
  public let batchSize: Int

  public init(model: any TripletScoring, normalization: TripletNormalization = .row, batchSize: Int = 256) {
    self.model = model
    self.normalization = normalization
    self.batchSize = max(1, batchSize)
  }

  /// `.avro` files named by `paths`: files as given, folders expanded to their `.avro` files sorted by name.
  public static func avroFiles(in paths: [String]) throws -> [String] {
    var files: [String] = []
    for path in paths {
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        throw ScoringFailure(file: path, reason: "no such file or folder")
      }
      if isFolder.boolValue {
        let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".avro") }.sorted()
        files += names.map { (path as NSString).appendingPathComponent($0) }
      } else {
        files.append(path)
      }
    }
    return files
  }

  /// One decoded alert and the triplet braai scores it on.
  public struct AlertTriplet: Sendable {
    public let file: String
    public let alert: ZTFAlert
    /// 63·63·3 floats, HWC (science, template, difference), normalised as the scorer's `normalization` says.
    public let triplet: [Float]
  }

  /// Decodes `files` (in parallel) and builds the triplet of every alert they hold, in order; unreadable files are
  /// reported and skipped.
  public func triplets(files: [String]) -> (triplets: [AlertTriplet], failures: [ScoringFailure]) {
    var triplets: [AlertTriplet] = []
    var failures: [ScoringFailure] = []
    for (file, result) in zip(files, decode(files)) {
      switch result {
      case .success(let items): triplets += items.map { AlertTriplet(file: file, alert: $0.0, triplet: $0.1) }
      case .failure(let failure): failures.append(failure)
      }
    }
    return (triplets, failures)
  }

  /// Scores every alert in `files`, in order. `progress(done, total)` is called after each batch of files.
  public func score(
    files: [String], progress: ((Int, Int) -> Void)? = nil
  ) -> (alerts: [ScoredAlert], failures: [ScoringFailure]) {
    var alerts: [ScoredAlert] = []
    var failures: [ScoringFailure] = []
    for first in stride(from: 0, to: files.count, by: batchSize) {
      let chunk = Array(files[first..<min(first + batchSize, files.count)])
      let (pending, chunkFailures) = triplets(files: chunk)
      failures += chunkFailures
      do {
        let scores = try model.score(triplets: pending.map(\.triplet), batchSize: batchSize)
        for (item, score) in zip(pending, scores) {
          alerts.append(ScoredAlert(file: item.file, candid: item.alert.candid, objectId: item.alert.objectId, score: score,
                                    drb: item.alert.candidate.drb))
        }
      } catch {
        failures += pending.map { ScoringFailure(file: $0.file, reason: "scoring failed: \(error)") }
      }
      progress?(first + chunk.count, files.count)
    }
    return (alerts, failures)
  }

  /// Decodes files and builds their triplets on all cores; one result per file, in order.
  func decode(_ files: [String]) -> [Result<[(ZTFAlert, [Float])], ScoringFailure>] {
    let results = UnsafeMutableBufferPointer<Result<[(ZTFAlert, [Float])], ScoringFailure>?>.allocate(capacity: files.count)
    results.initialize(repeating: nil)
    defer {
      // Release the decoded alerts before freeing the slots (deallocate alone would leak them).
      _ = results.deinitialize()
      results.deallocate()
    }
    let norm = normalization
    Parallel.forEachChunk(files.count) { _, range in
      for i in range {
        do {
          let alerts = try AlertReader.read(path: files[i])
          results[i] = .success(try alerts.map { ($0, try Triplet.make($0, normalization: norm, size: BraaiModel.cutoutSize)) })
        } catch {
          // An AlertError already names the file: its reason alone, so the name is printed once.
          let reason = (error as? AlertError)?.reason ?? "\(error)"
          results[i] = .failure(ScoringFailure(file: (files[i] as NSString).lastPathComponent, reason: reason))
        }
      }
    }
    return results.map { $0! }
  }
}
