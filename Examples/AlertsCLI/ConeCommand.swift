import AlertStore
import ArgumentParser
import Foundation

/// `alerts cone RA DEC RADIUS_ARCSEC`: alerts within a radius, nearest first.
struct ConeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cone", abstract: "Print the alerts within a cone (ICRS degrees, radius in arcsec), nearest first.")

  @OptionGroup var store: StoreOptions
  @OptionGroup var output: FormatOptions

  @Argument(help: "Right ascension of the centre, degrees (0..<360).")
  var ra: Double
  @Argument(help: "Declination of the centre, degrees (-90...90).")
  var dec: Double
  @Argument(help: "Radius, arcsec.")
  var radiusArcsec: Double

  @Option(name: .customLong("jd-min"), help: "Only alerts with jd >= this.")
  var jdMin: Double?
  @Option(name: .customLong("jd-max"), help: "Only alerts with jd <= this.")
  var jdMax: Double?

  func validate() throws {
    let query = ConeQuery(ra: ra, dec: dec, radiusArcsec: radiusArcsec, jdMin: jdMin, jdMax: jdMax)
    do { try query.validate() } catch let e as AlertStoreError { throw ValidationError(e.reason) }
  }

  func run() throws {
    let matches = try store.open().coneSearch(
      ConeQuery(ra: ra, dec: dec, radiusArcsec: radiusArcsec, jdMin: jdMin, jdMax: jdMax))
    output.print(json: .array(matches.map { AlertRendering.json($0) }), table: AlertRendering.table(matches))
  }
}
