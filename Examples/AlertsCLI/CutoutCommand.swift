import AlertStore
import ArgumentParser
import Foundation

/// `alerts cutout CANDID --png FILE`: the science, template and difference stamps side by side.
struct CutoutCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cutout",
    abstract: "Write an alert's cutout triplet (science, template, difference side by side) as a PNG.",
    discussion: "--fits-dir also saves the three stamps as the gzip FITS files they arrived as.")

  @OptionGroup var store: StoreOptions

  @Argument(help: "The alert's candid.")
  var candid: Int64

  @Option(name: .long, help: "The PNG file to write.")
  var png: String?

  @Option(name: .long, help: "A folder to save the three .fits.gz stamps in, as received.")
  var fitsDir: String?

  func validate() throws {
    guard png != nil || fitsDir != nil else { throw ValidationError("give --png FILE (and/or --fits-dir DIR)") }
  }

  func run() throws {
    guard let cutouts = try store.openForReading().cutouts(candid: candid) else {
      throw AlertStoreError(source: store.name, reason: "no cutouts stored for candid \(candid)")
    }
    if let png {
      try CutoutTripletImage(cutouts: cutouts).writePNG(to: png)
      printError("alerts: wrote \(png)")
    }
    if let fitsDir {
      try FileManager.default.createDirectory(atPath: fitsDir, withIntermediateDirectories: true)
      let stamps = [("science", cutouts.science), ("template", cutouts.template), ("difference", cutouts.difference)]
      for (kind, blob) in stamps {
        guard let blob else { continue }
        let name = blob.fileName.isEmpty ? "candid\(candid)_\(kind).fits.gz" : blob.fileName
        let path = (fitsDir as NSString).appendingPathComponent((name as NSString).lastPathComponent)
        try blob.data.write(to: URL(fileURLWithPath: path), options: .atomic)
        printError("alerts: wrote \(path)")
      }
    }
  }
}
