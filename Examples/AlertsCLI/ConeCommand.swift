import AlertStore
import ArgumentParser
import Foundation

/// `alerts cone RA DEC RADIUS_ARCSEC`: alerts within a radius, nearest first.
struct ConeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cone", abstract: "Print the alerts within a cone (ICRS degrees, radius in arcsec), nearest first.")

  @OptionGroup var store: StoreOptions
  @OptionGroup var output: FormatOptions

  // Collected as unrecognized words: the parser would read a southern declination (`-10.23`) as an option.
  @Argument(
    parsing: .allUnrecognized,
    help: ArgumentHelp(
      "RA DEC RADIUS: the centre in degrees (RA 0..<360, DEC -90...90; a negative DEC needs no `--`) and the radius "
        + "in arcsec.", valueName: "ra dec radius"))
  var position: [String] = []

  @Option(name: .customLong("jd-min"), help: "Only alerts with jd >= this.")
  var jdMin: Double?
  @Option(name: .customLong("jd-max"), help: "Only alerts with jd <= this.")
  var jdMax: Double?

  /// RA, DEC and radius from `position`; a `ValidationError` naming the word that is not a number.
  func centre() throws -> (ra: Double, dec: Double, radiusArcsec: Double) {
    let names = ["RA", "DEC", "RADIUS"]
    guard position.count == 3 else {
      throw ValidationError("expected RA DEC RADIUS (3 numbers), got \(position.count): \(position.joined(separator: " "))")
    }
    let values = try zip(names, position).map { name, word in
      guard let value = Double(word) else { throw ValidationError("\(name) '\(word)' is not a number") }
      return value
    }
    return (values[0], values[1], values[2])
  }

  func query() throws -> ConeQuery {
    let (ra, dec, radius) = try centre()
    return ConeQuery(ra: ra, dec: dec, radiusArcsec: radius, jdMin: jdMin, jdMax: jdMax)
  }

  func validate() throws {
    do { try query().validate() } catch let e as AlertStoreError { throw ValidationError(e.reason) }
  }

  func run() throws {
    let matches = try store.openForReading().coneSearch(query())
    output.print(json: .array(matches.map { AlertRendering.json($0) }), table: AlertRendering.table(matches))
  }
}
