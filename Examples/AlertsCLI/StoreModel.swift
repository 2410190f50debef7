import AlertStore
import Braai
import Foundation
import ZTFAlerts

/// A model (braai or an artefact) and the scorer that saves its scores under its name and version: what
/// `alerts score` and `alerts consume --score` share.
struct StoreModel {
  let braai: BraaiArtefact
  let scorer: StoredAlertScorer
  let batchSize: Int

  /// `model` is braai or an artefact path; the normalisation and version come from the options when given, else
  /// from the manifest (a disagreement with the manifest is printed as a warning).
  init(
    model: String, weights: String? = nil, normalization: TripletNormalization? = nil, version: String? = nil,
    database: any AlertDatabase, batchSize: Int = 256
  ) throws {
    braai = try BraaiArtefact.load(model: model == "braai" ? nil : model, weights: weights)
    let chosen = try BraaiArtefact.normalization(option: normalization, manifestSays: braai.normalization, source: braai.source) {
      printError("alerts: warning: \($0)")
    }
    scorer = StoredAlertScorer(
      database: database, model: braai.manifest?.name ?? "braai", version: version ?? braai.version, normalization: chosen,
      batchSize: batchSize)
    self.batchSize = batchSize
  }

  /// One score per triplet.
  func score(_ triplets: [[Float]]) throws -> [Float] { try braai.scorer.score(triplets: triplets, batchSize: batchSize) }
}
