/// One detection: the alert's `candidate` record, or an entry of `prv_candidates`.
///
/// Properties read the record by field NAME (never by position: schema 3.x and 4.x order and count fields
/// differently) and are nil when the field is absent from the writer schema or null in this packet.
/// Real-valued fields are exposed as Double whatever their width in the schema (float32 values widen exactly, so
/// `drb` is the packet's float32 score; filters compare against Double literals without conversions), integer
/// fields as Int or Int64 (int or long). Any other field is available through `subscript(field:)` or `record`.
public struct ZTFCandidate: Sendable, Equatable {
  /// The full record, every field the writer schema has.
  public let record: AvroRecord

  public init(record: AvroRecord) { self.record = record }

  /// Any field by name: nil when the schema has no such field, `.null` when the packet has a null there.
  public subscript(field name: String) -> AvroValue? { record[name] }

  private func double(_ name: String) -> Double? { record[name]?.doubleValue }
  private func int(_ name: String) -> Int? { record[name]?.intValue }
  private func int64(_ name: String) -> Int64? { record[name]?.int64Value }
  private func string(_ name: String) -> String? { record[name]?.stringValue }

  /// Observation Julian date at the start of the exposure.
  public var jd: Double? { double("jd") }
  /// Filter: 1 = g, 2 = r, 3 = i.
  public var fid: Int? { int("fid") }
  /// Processing id of the science image.
  public var pid: Int64? { int64("pid") }
  /// Candidate id (null for prv_candidates entries that are non-detections).
  public var candid: Int64? { int64("candid") }
  public var ra: Double? { double("ra") }
  public var dec: Double? { double("dec") }
  public var magpsf: Double? { double("magpsf") }
  public var sigmapsf: Double? { double("sigmapsf") }
  /// 5-sigma limiting magnitude of the difference image.
  public var diffmaglim: Double? { double("diffmaglim") }
  /// "t"/"1" when the candidate is from a positive (science - reference) subtraction, "f"/"0" otherwise.
  public var isdiffpos: String? { string("isdiffpos") }
  /// Real-bogus score (random forest).
  public var rb: Double? { double("rb") }
  public var rbversion: String? { string("rbversion") }
  /// Deep-learning real-bogus score (braai).
  public var drb: Double? { double("drb") }
  public var drbversion: String? { string("drbversion") }
  public var programid: Int? { int("programid") }
  public var field: Int? { int("field") }
  /// Readout channel (0...63).
  public var rcid: Int? { int("rcid") }
  /// Distance to the nearest known solar-system object, arcsec (-999 when none).
  public var ssdistnr: Double? { double("ssdistnr") }
  public var ssmagnr: Double? { double("ssmagnr") }
  public var ssnamenr: String? { string("ssnamenr") }
  /// Magnitude of the nearest source in the reference image.
  public var magnr: Double? { double("magnr") }
  public var sigmagnr: Double? { double("sigmagnr") }
  /// Distance to the nearest source in the reference image, pixels.
  public var distnr: Double? { double("distnr") }
  /// Star/galaxy score of the closest PS1 source (1 = star).
  public var sgscore1: Double? { double("sgscore1") }
  public var distpsnr1: Double? { double("distpsnr1") }
  public var ndethist: Int? { int("ndethist") }
  public var ncovhist: Int? { int("ncovhist") }
  public var jdstarthist: Double? { double("jdstarthist") }
  public var fwhm: Double? { double("fwhm") }
  /// SExtractor star/galaxy score.
  public var classtar: Double? { double("classtar") }
  public var magzpsci: Double? { double("magzpsci") }
  public var nbad: Int? { int("nbad") }
  public var elong: Double? { double("elong") }
}
