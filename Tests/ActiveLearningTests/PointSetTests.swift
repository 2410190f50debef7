@testable import ActiveLearning
import AstroTensor
import XCTest

/// The diversity searches against plain reimplementations written here from their definitions.
final class PointSetTests: XCTestCase {
  func randomPoints(_ n: Int, _ d: Int, seed: UInt64) -> PointSet {
    var g = SeededGenerator(seed: seed)
    return PointSet(values: (0..<(n * d)).map { _ in g.nextNormal() }, dimension: d)
  }

  func testKCenterGreedyPicksTheFarthestPointEachTime() {
    let points = randomPoints(200, 5, seed: 1)
    let centers = [3, 50]
    let picks = points.kCenterGreedy(candidates: Array(0..<200).filter { !centers.contains($0) }, centers: centers, k: 12).picks
    var chosen = centers
    for pick in picks {
      let distances = (0..<200).filter { !chosen.contains($0) }.map { i in (i, chosen.map { points.squaredDistance(i, $0) }.min()!) }
      let farthest = distances.max { $0.1 < $1.1 }!
      XCTAssertEqual(points.squaredDistance(pick, chosen.min { points.squaredDistance(pick, $0) < points.squaredDistance(pick, $1) }!),
                     farthest.1, accuracy: 1e-5)
      chosen.append(pick)
    }
    XCTAssertEqual(Set(picks).count, 12)
  }

  /// Average linkage against the O(n³) textbook algorithm: merge the two clusters with the smallest mean
  /// pairwise distance until `k` remain.
  func testAverageLinkageMatchesTheNaiveAlgorithm() {
    let points = randomPoints(40, 3, seed: 2)
    var clusters = (0..<40).map { [$0] }
    func linkage(_ a: [Int], _ b: [Int]) -> Float {
      var sum: Float = 0
      for i in a { for j in b { sum += points.squaredDistance(i, j).squareRoot() } }
      return sum / Float(a.count * b.count)
    }
    while clusters.count > 5 {
      var best = (0, 1, Float.infinity)
      for i in 0..<clusters.count { for j in (i + 1)..<clusters.count {
        let d = linkage(clusters[i], clusters[j])
        if d < best.2 { best = (i, j, d) }
      } }
      clusters[best.0] += clusters[best.1]
      clusters.remove(at: best.1)
    }
    let labels = points.averageLinkage(clusters: 5)
    XCTAssertEqual(Set(labels).count, 5)
    let fromLabels = Set((0..<5).map { l in Set((0..<40).filter { labels[$0] == l }) })
    XCTAssertEqual(fromLabels, Set(clusters.map { Set($0) }))
  }

  func testKMeansSeparatesWellSeparatedBlobs() {
    var g = SeededGenerator(seed: 3)
    var values = [Float]()
    for blob in 0..<3 { for _ in 0..<30 { values += [Float(blob) * 20 + g.nextNormal(), g.nextNormal()] } }
    let points = PointSet(values: values, dimension: 2)
    let assignment = points.kMeans(3, generator: &g).assignment
    for blob in 0..<3 {
      XCTAssertEqual(Set(assignment[(blob * 30)..<((blob + 1) * 30)]).count, 1, "blob \(blob) split")
    }
    XCTAssertEqual(Set(assignment).count, 3)
  }

  func testKMeansPlusPlusSeedsAreDistinctAndStartAtTheLargestNorm() {
    let points = randomPoints(100, 4, seed: 4)
    var g = SeededGenerator(seed: 9)
    let seeds = points.kMeansPlusPlusSeeds(20, generator: &g, firstByNorm: true)
    XCTAssertEqual(Set(seeds).count, 20)
    let norms = (0..<100).map { i in points.row(i).reduce(0) { $0 + $1 * $1 } }
    XCTAssertEqual(seeds[0], norms.indices.max { norms[$0] < norms[$1] })
  }
}
