import AstroTensor

/// Samples in memory for training and evaluation: one array per model input and one target array per
/// model output, all with the same first dimension N, and an id per sample.
///
/// Targets are what the output's loss takes: `[N]` labels (binary 0/1, or class indices for sparse
/// categorical cross-entropy), or `[N, K]` (one-hot classes, or multi-label 0/1).
public struct Dataset {
  /// One array per model input, `[N] + inputShape`.
  public let inputs: [Tensor]
  /// One target array per model output, `[N]` or `[N, K]`.
  public let targets: [Tensor]
  /// One id per sample (the row index when none were given).
  public let ids: [Int64]

  /// Checks that every array has N samples and finite values; errors name `source`, the array and the sample.
  public init(inputs: [Tensor], targets: [Tensor], ids: [Int64]? = nil, source: String = "dataset") throws {
    guard let n = inputs.first?.shape.first, !targets.isEmpty else {
      throw NNError.model("\(source): a dataset needs at least one input and one target array")
    }
    for (label, arrays) in [("input", inputs), ("target", targets)] {
      for (i, a) in arrays.enumerated() {
        guard a.rank >= 1, a.shape[0] == n else {
          throw NNError.model("\(source): \(label) \(i) of shape \(a.shape) does not hold \(n) samples (input 0 does)")
        }
        if !a.isFinite {
          let p = a.storage.pointer
          let j = (0..<a.count).first { !p[$0].isFinite }!
          throw NNError.model("\(source): non-finite value \(p[j]) in \(label) \(i), sample \(j / max(1, a.count / n))")
        }
      }
    }
    if let ids, ids.count != n { throw NNError.model("\(source): \(n) samples but \(ids.count) ids") }
    self.inputs = inputs
    self.targets = targets
    self.ids = ids ?? (0..<n).map(Int64.init)
  }

  /// Arrays already checked (subsets, conversions).
  init(checkedInputs inputs: [Tensor], targets: [Tensor], ids: [Int64]) {
    self.inputs = inputs; self.targets = targets; self.ids = ids
  }

  /// Number of samples, N.
  public var count: Int { inputs[0].shape[0] }
  /// Per-sample shape of each input.
  public var inputShapes: [[Int]] { inputs.map { Array($0.shape.dropFirst()) } }

  /// The samples at `indices`, in that order; an index outside `0..<count` is an error.
  public func subset(_ indices: [Int]) throws -> Dataset {
    if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
      throw NNError.model("dataset subset: index \(bad) outside 0..<\(count)")
    }
    return Dataset(
      checkedInputs: inputs.map { $0.rows(indices) }, targets: targets.map { $0.rows(indices) }, ids: indices.map { ids[$0] })
  }

  /// Copies the samples `indices` into one batch per input and target, flipping each image input (rank 3 per
  /// sample) left-right and/or up-down with probability 1/2 each when `flips` is set (the same flip for every
  /// image input of a sample). Indices come from `0..<count` (the trainer's own shuffles).
  func batch(_ indices: ArraySlice<Int>, flips: Bool, generator: inout SeededGenerator) -> (inputs: [Tensor], targets: [Tensor]) {
    batch(indices, flipBits: flips ? indices.map { _ in generator.next() } : nil)
  }

  /// As `batch(_:flips:generator:)`, with sample i's flips read from the two low bits of `flipBits[i]` (bit 0
  /// left-right, bit 1 up-down); nil flips nothing.
  func batch(_ indices: ArraySlice<Int>, flipBits: [UInt64]?) -> (inputs: [Tensor], targets: [Tensor]) {
    let rows = Array(indices)
    let batchInputs = inputs.map { $0.rows(rows) }
    if let flipBits {
      for (row, bits) in zip(rows.indices, flipBits) {
        let (flipH, flipV) = (bits & 1 == 1, bits & 2 == 2)
        guard flipH || flipV else { continue }
        for x in batchInputs where x.rank == 4 { x.flipSample(row, horizontal: flipH, vertical: flipV) }
      }
    }
    return (batchInputs, targets.map { $0.rows(rows) })
  }
}

extension Tensor {
  /// Rows `indices` of the first axis, copied (indices already checked). No graph is recorded.
  func rows(_ indices: [Int]) -> Tensor {
    let per = count / max(shape[0], 1)
    let out = Tensor(uninitializedShape: [indices.count] + shape.dropFirst())
    for (row, i) in indices.enumerated() { (out.storage.pointer + row * per).update(from: storage.pointer + i * per, count: per) }
    return out
  }

  /// Flips sample `n` of an NHWC batch in place.
  func flipSample(_ n: Int, horizontal: Bool, vertical: Bool) {
    let (h, w, c) = (shape[1], shape[2], shape[3])
    let base = storage.pointer + n * h * w * c
    let copy = Array(UnsafeBufferPointer(start: base, count: h * w * c))
    for r in 0..<h {
      let sr = vertical ? h - 1 - r : r
      for col in 0..<w {
        let sc = horizontal ? w - 1 - col : col
        for k in 0..<c { base[(r * w + col) * c + k] = copy[(sr * w + sc) * c + k] }
      }
    }
  }
}
