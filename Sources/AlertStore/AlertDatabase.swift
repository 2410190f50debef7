import Foundation

/// The operations callers (the ingester, the scorer, the `alerts` command line) need from an alert store.
///
/// `SQLiteAlertDatabase` is the embedded implementation, `PostgresAlertDatabase` the server one (`openAlertDatabase`
/// picks by location). Nothing here exposes SQL, GRDB or libpq, so callers work with either.
/// Implementations must be safe to use from several threads, and must let readers run while a batch is written.
public protocol AlertDatabase: AnyObject, Sendable {
  /// Writes a batch in ONE transaction: either every record of the batch is stored or none is. Alerts already
  /// stored (same candid) are left untouched, so ingesting a packet twice changes nothing. Light-curve points are
  /// merged per (objectId, jd, fid); when a detection and an upper limit share the key, the detection wins.
  func insert(_ records: [AlertIngestRecord]) throws -> InsertSummary

  /// The alert with this candid, or nil.
  func alert(candid: Int64) throws -> StoredAlert?
  /// Every stored alert of the object, by jd.
  func alerts(objectId: String) throws -> [StoredAlert]
  /// The object's light curve: deduplicated detections and upper limits, by jd then fid.
  func lightCurve(objectId: String) throws -> [LightCurvePoint]
  /// Alerts within the cone (exact great-circle distance), nearest first.
  func coneSearch(_ query: ConeQuery) throws -> [ConeMatch]
  /// The cutouts of one alert, or nil when the alert has none stored.
  func cutouts(candid: Int64) throws -> StoredCutouts?
  /// Cutouts of up to `limit` alerts with candid > `after` (nil: from the start), by candid: a cursor for jobs
  /// that walk the whole store, such as scoring.
  func cutouts(after: Int64?, limit: Int) throws -> [StoredCutouts]

  /// Alerts matching the filter, by jd then candid: `limit` of them after skipping `skip`.
  func find(_ filter: AlertFilter, limit: Int, skip: Int) throws -> [StoredAlert]
  /// Number of alerts matching the filter.
  func count(_ filter: AlertFilter) throws -> Int

  /// Saves scores in one transaction, replacing earlier scores with the same (candid, model, version).
  func saveScores(_ scores: [ModelScore]) throws
  /// Every score of one alert, by model and version.
  func scores(candid: Int64) throws -> [ModelScore]

  /// Number of stored alerts.
  func alertCount() throws -> Int
  /// Counts describing the store.
  func statistics() throws -> StoreStatistics
  /// Checks of the store's own invariants (every alert has its light-curve point, nothing refers to a missing
  /// alert, and the engine's own integrity check where it has one). Empty when the store is consistent.
  func consistencyProblems() throws -> [String]
}

/// Opens the store at `location`: a PostgreSQL database for a `postgres://` or `postgresql://` URL, an SQLite file
/// for anything else. `create` lets a missing store be created (a missing file, an empty database); `readOnly`
/// never changes anything and refuses stores that would need an upgrade.
public func openAlertDatabase(_ location: String, create: Bool = false, readOnly: Bool = false) throws -> any AlertDatabase {
  if PostgresAlertDatabase.isURL(location) {
    return try PostgresAlertDatabase(url: location, readOnly: readOnly, createIfEmpty: create)
  }
  return try SQLiteAlertDatabase(path: location, create: create, readOnly: readOnly)
}
