import Labeling
import XCTest

final class AgreementTests: XCTestCase {
  /// Fleiss (1971) as Wikipedia's worked example gives it: 10 subjects, 14 raters, 5 categories, kappa 0.210.
  func testFleissKappaOfThePublishedExample() {
    let counts = [
      [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]
    let items = counts.map { row in row.enumerated().flatMap { category, n in [Int](repeating: category, count: n) } }
    XCTAssertEqual(Agreement.fleissKappa(items)!, 0.20993, accuracy: 1e-4)
    XCTAssertNil(Agreement.fleissKappa([[1], [2]]), "no item with two ratings")
  }

  func testCohensKappaOverSharedItemsOnly() {
    let ratings: [[String: String]] = [
      ["a": "real", "b": "real"], ["a": "real", "b": "bogus"], ["a": "bogus", "b": "bogus"], ["a": "bogus", "b": "bogus"], ["a": "real"],
    ]
    // Shared: 4 items, p_o = 3/4, p_e = (2/4)(1/4) + (2/4)(3/4) = 1/2, kappa = 1/2.
    let (kappa, n) = Agreement.cohensKappa(ratings, "a", "b")!
    XCTAssertEqual(kappa, 0.5, accuracy: 1e-12)
    XCTAssertEqual(n, 4)
    XCTAssertNil(Agreement.cohensKappa(ratings, "a", "c"))
  }

  /// Three labellers who always answer "bogus" outvote two accurate labellers on every real item; Dawid–Skene
  /// learns that their answer carries no information and follows the accurate ones. (With one accurate labeller
  /// the two explanations fit equally well: the model cannot tell who is right.)
  func testDawidSkeneDiscountsUninformativeLabellers() {
    let truth = (0..<16).map { $0 % 4 == 0 ? "real" : "bogus" }
    let ratings = truth.map { t -> [String: String] in ["good1": t, "good2": t, "lazy1": "bogus", "lazy2": "bogus", "lazy3": "bogus"] }
    let majority = ratings.map { Agreement.majority(Array($0.values)) }
    XCTAssertEqual(majority.filter { $0 == "real" }.count, 0, "majority never says real")
    let posterior = Agreement.dawidSkene(ratings, categories: ["bogus", "real"])
    for (i, t) in truth.enumerated() {
      XCTAssertEqual(posterior[i][t == "real" ? 1 : 0], 1, accuracy: 0.05, "item \(i)")
      XCTAssertEqual(posterior[i].reduce(0, +), 1, accuracy: 1e-9)
    }
    XCTAssertNil(Agreement.majority(["a", "b"]), "a tie has no majority")
  }
}
