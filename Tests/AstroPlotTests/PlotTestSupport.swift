import AstroPlot
import Foundation
import XCTest

/// A fresh, empty folder under the system temporary directory, removed when the test ends.
func makeTemporaryFolder(_ test: XCTestCase) throws -> String {
  let path = NSTemporaryDirectory() + "astroplot-tests-\(UUID().uuidString)"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
  return path
}

/// The folder where example figures are left for people to look at (not removed).
func examplesFolder() throws -> String {
  let path = NSTemporaryDirectory() + "astroplot-examples"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

extension RasterImage {
  /// Pixels in `rect` whose colour differs from `background` by more than `tolerance` in some channel.
  func inkPixels(in rect: PixelRect, background: PlotColor = .white, tolerance: Int = 40) -> Int {
    var count = 0
    for y in rect.y..<rect.maxY {
      for x in rect.x..<rect.maxX {
        guard let c = pixel(x: x, y: y) else { continue }
        if abs(Int(c.red) - Int(background.red)) > tolerance || abs(Int(c.green) - Int(background.green)) > tolerance
          || abs(Int(c.blue) - Int(background.blue)) > tolerance {
          count += 1
        }
      }
    }
    return count
  }
}

/// True when `a` and `b` differ by at most `tolerance` in every channel.
func close(_ a: PlotColor?, _ b: PlotColor, tolerance: Int = 2) -> Bool {
  guard let a else { return false }
  return abs(Int(a.red) - Int(b.red)) <= tolerance && abs(Int(a.green) - Int(b.green)) <= tolerance
    && abs(Int(a.blue) - Int(b.blue)) <= tolerance
}

/// Whether `a` is dark (all channels below 100): axis lines and text.
func isDark(_ a: PlotColor?) -> Bool {
  guard let a else { return false }
  return a.red < 100 && a.green < 100 && a.blue < 100
}
