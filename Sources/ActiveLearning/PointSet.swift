import AstroKernels
import AstroTensor

/// Rows of equal length in one flat array (embeddings of pool samples), with the distance searches the
/// diversity strategies share. Distances are squared Euclidean unless said otherwise.
struct PointSet {
  let values: [Float]
  let dimension: Int
  var count: Int { dimension == 0 ? 0 : values.count / dimension }

  init(values: [Float], dimension: Int) {
    precondition(dimension > 0 && values.count % dimension == 0, "points do not fill rows of \(dimension)")
    self.values = values
    self.dimension = dimension
  }

  /// The rows `rows`, in that order.
  func subset(_ rows: [Int]) -> PointSet {
    var out = [Float]()
    out.reserveCapacity(rows.count * dimension)
    for r in rows { out += values[(r * dimension)..<((r + 1) * dimension)] }
    return PointSet(values: out, dimension: dimension)
  }

  func squaredDistance(_ a: Int, _ b: Int) -> Float {
    values.withUnsafeBufferPointer { v in Self.squaredDistance(v.baseAddress! + a * dimension, v.baseAddress! + b * dimension, dimension) }
  }

  static func squaredDistance(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
    var sum: Float = 0
    for i in 0..<n {
      let d = x[i] - y[i]
      sum += d * d
    }
    return sum
  }

  /// `nearest[i] = min(nearest[i], |x_i − x_center|²)` for every row, on all cores.
  func lowerNearest(_ nearest: inout [Float], toward center: [Float]) {
    let d = dimension
    values.withUnsafeBufferPointer { v in
      center.withUnsafeBufferPointer { c in
        nearest.withUnsafeMutableBufferPointer { out in
          let (points, centre, target) = (v.baseAddress!, c.baseAddress!, out.baseAddress!)
          Parallel.forEachChunk(count, minimumPerWorker: 4096 / max(1, d / 16)) { _, range in
            for i in range {
              let distance = Self.squaredDistance(points + i * d, centre, d)
              if distance < target[i] { target[i] = distance }
            }
          }
        }
      }
    }
  }

  func row(_ i: Int) -> [Float] { Array(values[(i * dimension)..<((i + 1) * dimension)]) }

  /// k-center greedy (Sener and Savarese 2018): picks `k` rows among `candidates`, each the candidate farthest
  /// from every center so far (`centers` first, then the picks). With no centers the first pick is the
  /// candidate farthest from the candidates' mean. Returns the picks and each one's distance to the nearest center
  /// or earlier pick when it was picked (infinite for a first pick without centers).
  func kCenterGreedy(candidates: [Int], centers: [Int], k: Int) -> (picks: [Int], distances: [Float]) {
    let pool = subset(candidates)
    var nearest = [Float](repeating: .infinity, count: candidates.count)
    for c in centers { pool.lowerNearest(&nearest, toward: row(c)) }
    var picks = [Int](), distances = [Float]()
    var taken = [Bool](repeating: false, count: candidates.count)
    func take(_ i: Int) {
      taken[i] = true
      picks.append(candidates[i])
      distances.append(nearest[i].squareRoot())
      pool.lowerNearest(&nearest, toward: pool.row(i))
    }
    if centers.isEmpty, !candidates.isEmpty, k > 0 {
      var mean = [Float](repeating: 0, count: dimension)
      for i in 0..<pool.count { for j in 0..<dimension { mean[j] += pool.values[i * dimension + j] } }
      mean = mean.map { $0 / Float(pool.count) }
      var far = [Float](repeating: .infinity, count: candidates.count)
      pool.lowerNearest(&far, toward: mean)
      take(far.indices.max { far[$0] < far[$1] }!)
    }
    while picks.count < min(k, candidates.count) {
      var best = -1
      for i in 0..<candidates.count where !taken[i] && (best < 0 || nearest[i] > nearest[best]) { best = i }
      take(best)
    }
    return (picks, distances)
  }

  /// k-means++ seeding (Arthur and Vassilvitskii 2007), as BADGE uses it: the first row with the largest norm,
  /// then each next row drawn with probability proportional to its squared distance to the nearest pick.
  func kMeansPlusPlusSeeds(_ k: Int, generator: inout SeededGenerator, firstByNorm: Bool) -> [Int] {
    guard count > 0, k > 0 else { return [] }
    var picks = [Int]()
    var first = Int(generator.next() % UInt64(count))
    if firstByNorm {
      let zero = [Float](repeating: 0, count: dimension)
      var norms = [Float](repeating: .infinity, count: count)
      lowerNearest(&norms, toward: zero)
      first = norms.indices.max { norms[$0] < norms[$1] } ?? 0
    }
    picks.append(first)
    var nearest = [Float](repeating: .infinity, count: count)
    lowerNearest(&nearest, toward: row(first))
    while picks.count < min(k, count) {
      let total = nearest.reduce(0.0) { $0 + Double($1) }
      var next: Int
      if total > 0 {
        var target = Double(generator.nextUnitFloat()) * total
        next = count - 1
        for i in 0..<count {
          target -= Double(nearest[i])
          if target < 0 && nearest[i] > 0 { next = i; break }
        }
      } else {  // every remaining row coincides with a pick: take unpicked rows in order
        next = (0..<count).first { !picks.contains($0) } ?? 0
      }
      if picks.contains(next) { next = (0..<count).first { !picks.contains($0) } ?? next }
      picks.append(next)
      lowerNearest(&nearest, toward: row(next))
      nearest[next] = 0
    }
    return picks
  }

  /// Lloyd's k-means from k-means++ seeds: the cluster of each row and the centroids.
  func kMeans(_ k: Int, iterations: Int = 20, generator: inout SeededGenerator) -> (assignment: [Int], centroids: [[Float]]) {
    let k = min(k, count)
    guard k > 0 else { return ([], []) }
    var centroids = kMeansPlusPlusSeeds(k, generator: &generator, firstByNorm: false).map(row)
    var assignment = [Int](repeating: 0, count: count)
    for _ in 0..<iterations {
      var changed = false
      for i in 0..<count {
        var best = 0, bestDistance = Float.infinity
        values.withUnsafeBufferPointer { v in
          for (c, centroid) in centroids.enumerated() {
            let distance = centroid.withUnsafeBufferPointer { Self.squaredDistance(v.baseAddress! + i * dimension, $0.baseAddress!, dimension) }
            if distance < bestDistance { (best, bestDistance) = (c, distance) }
          }
        }
        if assignment[i] != best { assignment[i] = best; changed = true }
      }
      var sums = [[Float]](repeating: [Float](repeating: 0, count: dimension), count: k)
      var sizes = [Int](repeating: 0, count: k)
      for i in 0..<count {
        sizes[assignment[i]] += 1
        for j in 0..<dimension { sums[assignment[i]][j] += values[i * dimension + j] }
      }
      for c in 0..<k where sizes[c] > 0 { centroids[c] = sums[c].map { $0 / Float(sizes[c]) } }
      if !changed { break }
    }
    return (assignment, centroids)
  }

  /// Average-linkage agglomerative clustering (Euclidean), cut at `clusters` clusters: the cluster of each
  /// row (0..<clusters). The nearest-neighbour-chain algorithm, O(n²) time and memory, valid because average
  /// linkage is reducible.
  func averageLinkage(clusters target: Int) -> [Int] {
    let n = count
    guard n > 0 else { return [] }
    var distance = [Float](repeating: 0, count: n * n)
    for i in 0..<n { for j in (i + 1)..<n {
      let d = squaredDistance(i, j).squareRoot()
      distance[i * n + j] = d
      distance[j * n + i] = d
    } }
    var size = [Int](repeating: 1, count: n)
    var active = [Bool](repeating: true, count: n)
    var parent = Array(0..<n)  // union-find over merged rows
    func root(_ i: Int) -> Int { var i = i; while parent[i] != i { i = parent[i] }; return i }
    var remaining = n
    var chain = [Int]()
    while remaining > max(1, target) {
      if chain.isEmpty { chain.append((0..<n).first { active[$0] }!) }
      let a = chain.last!
      var b = -1
      var best = Float.infinity
      // Prefer the previous chain element on ties, so the chain always ends in a reciprocal pair.
      if chain.count >= 2 { b = chain[chain.count - 2]; best = distance[a * n + b] }
      for j in 0..<n where active[j] && j != a && distance[a * n + j] < best { (b, best) = (j, distance[a * n + j]) }
      // Only with non-finite distances (PoolScorer refuses non-finite embeddings): take any other active row.
      if b < 0 { b = (0..<n).first { active[$0] && $0 != a }! }
      if chain.count >= 2 && b == chain[chain.count - 2] {
        chain.removeLast(2)
        // Merge b into a (Lance–Williams update for average linkage).
        for j in 0..<n where active[j] && j != a && j != b {
          let merged = (Float(size[a]) * distance[a * n + j] + Float(size[b]) * distance[b * n + j]) / Float(size[a] + size[b])
          distance[a * n + j] = merged
          distance[j * n + a] = merged
        }
        size[a] += size[b]
        active[b] = false
        parent[b] = a
        remaining -= 1
      } else {
        chain.append(b)
      }
    }
    var label = [Int: Int]()
    return (0..<n).map { i in
      let r = root(i)
      if let l = label[r] { return l }
      label[r] = label.count
      return label[r]!
    }
  }
}
