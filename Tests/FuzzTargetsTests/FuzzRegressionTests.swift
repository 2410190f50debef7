import Foundation
import FuzzTargets
import TestSupport
import XCTest

/// The fuzz targets on their seeds (which must parse) and on every input a fuzzer or a bug report found
/// (`Tests/FuzzRegressions/<target>/NAME`, with the error it must give in `NAME.expected`).
final class FuzzRegressionTests: XCTestCase {
  private let root = SharedData.packageRoot

  private func files(_ folder: String) -> [URL] {
    let url = root.appendingPathComponent(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    return names.sorted().map { url.appendingPathComponent($0) }
  }

  func testEveryTargetHasASeedAndParsesItsSeeds() throws {
    let packetTargets: Set = ["avro", "alert", "triplet"]
    for target in FuzzTargets.all {
      var seeds = files("Fuzz/Corpus/\(target.name)")
      if packetTargets.contains(target.name) { seeds += files("Datasets/ztf-alerts").filter { $0.pathExtension == "avro" } }
      if target.name == "manifest" { seeds += files("Datasets/braai").filter { $0.lastPathComponent.hasSuffix(".manifest.json") } }
      XCTAssertFalse(seeds.isEmpty, "\(target.name) has no seed")
      for seed in seeds {
        XCTAssertNoThrow(try target.run(Data(contentsOf: seed)), "\(target.name): \(seed.lastPathComponent)")
      }
    }
  }

  func testRegressionInputsGiveTheirClearErrors() throws {
    var checked = 0
    for folder in files("Tests/FuzzRegressions") where folder.pathExtension != "md" {
      let name = folder.lastPathComponent
      let target = try XCTUnwrap(FuzzTargets.named(name), "Tests/FuzzRegressions/\(name) is not a target")
      for input in files("Tests/FuzzRegressions/\(name)") where input.pathExtension != "expected" {
        let expected = try String(contentsOf: input.appendingPathExtension("expected"), encoding: .utf8)
          .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertThrowsError(try target.run(Data(contentsOf: input)), "\(name)/\(input.lastPathComponent)") { error in
          XCTAssertTrue("\(error)".contains(expected), "\(name)/\(input.lastPathComponent): '\(error)' lacks '\(expected)'")
        }
        checked += 1
      }
    }
    XCTAssertGreaterThan(checked, 0, "no regression inputs found")
  }

  func testTargetNamesAreUnique() {
    XCTAssertEqual(Set(FuzzTargets.all.map(\.name)).count, FuzzTargets.all.count)
  }
}
