import AstroKernels
import Dispatch
import Foundation
import ZTFAlerts

extension StoredCutouts {
  /// The braai-style triplet (size x size x 3 floats, HWC) built from the stored gzip FITS stamps, exactly as
  /// `Triplet.make` builds it from a packet. Throws `AlertError`/`AlertStoreError` naming the candid and cutout
  /// when a stamp is missing, does not decompress or parse, or the shapes disagree.
  public func triplet(normalization: TripletNormalization = .row, size: Int = 63) throws -> [Float] {
    let label = "candid \(candid)"
    var scratch: [UInt8] = []
    func image(_ blob: CutoutBlob?, _ kind: Cutout.Kind) throws -> FITSImage {
      guard let blob else { throw AlertStoreError(source: label, reason: "no \(kind.rawValue) stored") }
      return try Cutout(kind: kind, fileName: blob.fileName, stampData: blob.data, source: label).image(scratch: &scratch)
    }
    return try Triplet.make(
      science: try image(science, .science), template: try image(template, .template),
      difference: try image(difference, .difference), normalization: normalization, size: size, source: label)
  }
}

/// An alert that could not be scored, and why.
public struct ScoringFailure: Error, Sendable, CustomStringConvertible {
  public let candid: Int64
  public let reason: String
  public var description: String { "candid \(candid): \(reason)" }
}

/// The outcome of scoring a store.
public struct ScoringReport: Sendable {
  /// Alerts scored and saved.
  public var scored = 0
  public var failures: [ScoringFailure] = []
  public var seconds = 0.0
}

/// Scores every stored alert that has cutouts with an image model and saves the scores under (model, version).
///
/// The model is any function from a batch of triplets to scores, so this module does not depend on a network
/// library: the `alerts score` command passes braai's `BraaiModel.score(triplets:)`. Triplets are built from the
/// stored stamps on all cores; each batch's scores are saved in one transaction, replacing earlier scores of the
/// same model and version.
public struct StoredAlertScorer: Sendable {
  public let database: any AlertDatabase
  public let model: String
  public let version: String
  public let normalization: TripletNormalization
  public let size: Int
  public let batchSize: Int

  public init(
    database: any AlertDatabase, model: String, version: String, normalization: TripletNormalization = .row,
    size: Int = 63, batchSize: Int = 256
  ) {
    self.database = database
    self.model = model
    self.version = version
    self.normalization = normalization
    self.size = size
    self.batchSize = max(1, batchSize)
  }

  /// Walks the store by candid in batches. `score` returns one score per triplet; `progress(scoredSoFar)` is
  /// called after each saved batch. An alert whose cutouts cannot be made into a triplet is reported and skipped.
  public func run(
    score: ([[Float]]) throws -> [Float], progress: ((Int) -> Void)? = nil
  ) throws -> ScoringReport {
    let start = Date()
    var report = ScoringReport()
    var cursor: Int64? = nil
    while true {
      let page = try database.cutouts(after: cursor, limit: batchSize)
      guard let last = page.last else { break }
      cursor = last.candid
      let pageReport = try self.score(page, with: score)
      report.failures += pageReport.failures
      guard pageReport.scored > 0 else { continue }
      report.scored += pageReport.scored
      progress?(report.scored)
    }
    report.seconds = Date().timeIntervalSince(start)
    return report
  }

  /// Scores the alerts of an ingested batch that have cutouts (scoring on arrival), as `score(_:with:)` does.
  public func score(arrived records: [AlertIngestRecord], with score: ([[Float]]) throws -> [Float]) throws -> ScoringReport {
    let page = records.compactMap(StoredCutouts.init(record:))
    return page.isEmpty ? ScoringReport() : try self.score(page, with: score)
  }

  /// Scores these alerts' cutouts (all at once: one call of `score`) and saves the scores in one transaction; an
  /// alert whose cutouts cannot be made into a triplet is reported and skipped. Used on alerts as they arrive.
  public func score(_ page: [StoredCutouts], with score: ([[Float]]) throws -> [Float]) throws -> ScoringReport {
    let start = Date()
    var report = ScoringReport()
    var ready: [(Int64, [Float])] = []
    for (cutouts, result) in zip(page, buildTriplets(page)) {
      switch result {
      case .success(let t): ready.append((cutouts.candid, t))
      case .failure(let e): report.failures.append(ScoringFailure(candid: cutouts.candid, reason: "\(e)"))
      }
    }
    if !ready.isEmpty {
      let scores = try score(ready.map(\.1))
      guard scores.count == ready.count else {
        throw AlertStoreError(
          source: "\(model)/\(version)", reason: "model returned \(scores.count) scores for \(ready.count) triplets")
      }
      try database.saveScores(
        zip(ready, scores).map { ModelScore(candid: $0.0.0, model: model, version: version, score: Double($0.1)) })
      report.scored = ready.count
    }
    report.seconds = Date().timeIntervalSince(start)
    return report
  }

  private func buildTriplets(_ page: [StoredCutouts]) -> [Result<[Float], Error>] {
    let slots = ResultSlots(count: page.count)
    let (normalization, size) = (self.normalization, self.size)
    Parallel.forEachChunk(page.count) { _, range in
      for i in range { slots.set(i, Result { try page[i].triplet(normalization: normalization, size: size) }) }
    }
    return slots.values
  }

  /// One result per iteration of a concurrent loop.
  /// Unchecked Sendable: `slots` is only touched with `lock` held.
  private final class ResultSlots: @unchecked Sendable {
    private var slots: [Result<[Float], Error>]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: .success([]), count: count) }
    func set(_ i: Int, _ value: Result<[Float], Error>) {
      lock.lock()
      slots[i] = value
      lock.unlock()
    }
    var values: [Result<[Float], Error>] {
      lock.lock()
      defer { lock.unlock() }
      return slots
    }
  }
}
