import AstroKernels
import Foundation
import TestSupport
import XCTest

/// `ASTRO_ISA` caps the kernel route of a process, `ASTRO_AVX512=0` still turns AVX-512 off, `ASTRO_VERBOSE=1`
/// names the route once, and `bench` reports it; checked on `bench` runs with each setting.
final class KernelISATests: XCTestCase {
  private func benchRoute(_ environment: [String: String]) throws -> (isa: String, log: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try SharedData.builtProduct("bench"))
    process.arguments = ["vgg6-infer", "--samples", "32", "--batch", "32", "--repeats", "1"]
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile(), log = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, String(decoding: log, as: UTF8.self))
    let line = try XCTUnwrap(String(decoding: output, as: UTF8.self).split(separator: "\n").last)
    let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    return (try XCTUnwrap(json["isa"] as? String), String(decoding: log, as: UTF8.self))
  }

  func testTheEnvironmentCapsTheRouteAndVerboseNamesIt() throws {
    let best = KernelISA.available[0].rawValue
    XCTAssertEqual(try benchRoute([:]).isa, best)
    let portable = try benchRoute(["ASTRO_ISA": "portable", "ASTRO_VERBOSE": "1"])
    XCTAssertEqual(portable.isa, "portable")
    XCTAssertEqual(portable.log.components(separatedBy: "astrolearn: kernels portable, ").count, 2, "named once: \(portable.log)")
    XCTAssertEqual(try benchRoute(["ASTRO_ISA": "avx2"]).isa, AVX2.available ? "avx2" : "portable")
    XCTAssertEqual(try benchRoute(["ASTRO_AVX512": "0"]).isa, AVX2.available ? "avx2" : "portable")
    XCTAssertEqual(try benchRoute(["ASTRO_ISA": "avx512"]).isa, best)
  }

  func testEveryRouteTheCPUHasCanBeChosenAndRestored() {
    let saved = KernelISA.active
    defer { KernelISA.active = saved }
    XCTAssertEqual(KernelISA.available.last, .portable)
    for isa in KernelISA.available {
      KernelISA.active = isa
      XCTAssertEqual(KernelISA.active, isa)
    }
  }
}
