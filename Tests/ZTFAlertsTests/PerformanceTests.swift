import Foundation
import XCTest
import ZTFAlerts

/// Throughput print (not an assertion): decode + triplet over the 44 real packets, repeated.
/// Run with `-c release` for meaningful numbers; debug builds are several times slower.
final class PerformanceTests: XCTestCase {
  func testDecodeAndTripletThroughput() throws {
    let packets = try Fixtures.packetPaths().map { ($0, try Data(contentsOf: URL(fileURLWithPath: $0))) }
    var triplet = [Float](repeating: 0, count: 63 * 63 * 3)
    func run(seconds: Double, _ body: () throws -> Void) rethrows -> (count: Int, rate: Double) {
      try body()  // warm-up (schema cache, page faults)
      var count = 0
      let start = Date()
      while Date().timeIntervalSince(start) < seconds {
        try body()
        count += packets.count
      }
      return (count, Double(count) / Date().timeIntervalSince(start))
    }
    let decode = try run(seconds: 1) {
      for (path, data) in packets { _ = try AlertReader(data: data, source: path) }
    }
    let alerts = try packets.map { try XCTUnwrap(AlertReader(data: $0.1, source: $0.0).alerts.first) }
    let triplets = try run(seconds: 1) {
      for a in alerts { try triplet.withUnsafeMutableBufferPointer { try Triplet.write(a, into: $0) } }
    }
    let both = try run(seconds: 1) {
      for (path, data) in packets {
        for a in try AlertReader(data: data, source: path).alerts {
          try triplet.withUnsafeMutableBufferPointer { try Triplet.write(a, into: $0) }
        }
      }
    }
    let bytes = packets.reduce(0) { $0 + $1.1.count }
    print(String(
      format: "ZTFAlerts throughput (1 core): decode %.0f alerts/s (%.0f MB/s), triplet %.0f alerts/s, decode+triplet %.0f alerts/s (%d alerts)",
      decode.rate, decode.rate * Double(bytes) / Double(packets.count) / 1e6, triplets.rate, both.rate, both.count))
    XCTAssertGreaterThan(both.count, 0)
  }
}
