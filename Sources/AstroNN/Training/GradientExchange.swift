import AstroDistributed
import AstroTensor
import Foundation

/// Sums the ranks' gradients during the backward pass, in fused buckets, as Horovod's tensor fusion and
/// PyTorch DDP's gradient buckets do.
///
/// Parameters are grouped, last layer first (the order backward finishes them), into buckets of at most
/// `bucketBytes`. When every gradient of a bucket is complete, its values (scaled by this rank's share of the
/// global batch) are copied into the bucket's buffer and its allreduce starts on a background thread, while the
/// backward pass goes on. Buckets are reduced strictly in order, so every rank issues the same collectives in
/// the same order whatever order its gradients finish in. `finish` waits for the buckets and writes the summed
/// gradients back.
final class GradientExchange: @unchecked Sendable {
  private final class Bucket: @unchecked Sendable {
    let parameters: [Int]
    let buffer: UnsafeMutableBufferPointer<Float>
    var pending = 0
    init(parameters: [Int], count: Int) {
      self.parameters = parameters
      buffer = .allocate(capacity: count)
    }
    deinit { buffer.deallocate() }
  }

  let communicator: Communicator
  private let parameters: [Tensor]
  private let index: [ObjectIdentifier: Int]
  private let bucketOfParameter: [Int]
  private let offsetOfParameter: [Int]
  private let buckets: [Bucket]
  private var received: [Bool]
  private var launched = 0
  private var scale: Float = 1
  private let queue = DispatchQueue(label: "astrolearn.gradient-allreduce")
  private let lock = NSLock()
  private var failure: Error?

  /// Buckets for `parameters` of at most `bucketBytes` each (one parameter larger than that is a bucket alone).
  init(parameters: [Tensor], communicator: Communicator, bucketBytes: Int) {
    self.communicator = communicator
    self.parameters = parameters
    index = Dictionary(uniqueKeysWithValues: parameters.enumerated().map { (ObjectIdentifier($1), $0) })
    var groups: [[Int]] = [], current: [Int] = [], bytes = 0
    for p in parameters.indices.reversed() {
      let size = parameters[p].count * MemoryLayout<Float>.size
      if !current.isEmpty && bytes + size > bucketBytes {
        groups.append(current)
        current = []; bytes = 0
      }
      current.append(p); bytes += size
    }
    if !current.isEmpty { groups.append(current) }
    var bucketOf = [Int](repeating: 0, count: parameters.count), offsetOf = bucketOf
    buckets = groups.enumerated().map { b, members in
      var offset = 0
      for p in members {
        bucketOf[p] = b; offsetOf[p] = offset
        offset += parameters[p].count
      }
      return Bucket(parameters: members, count: offset)
    }
    bucketOfParameter = bucketOf
    offsetOfParameter = offsetOf
    received = Array(repeating: false, count: parameters.count)
  }

  /// Starts a step in which this rank's gradients count `scale` times (its share of the global batch).
  func begin(scale: Float) {
    self.scale = scale
    launched = 0
    for i in received.indices { received[i] = false }
    for bucket in buckets {
      bucket.pending = bucket.parameters.count
      bucket.buffer.update(repeating: 0)
    }
  }

  /// Called by backward when `tensor`'s gradient is complete: copies it into its bucket and starts every bucket
  /// that is now complete and next in order.
  func gradientReady(_ tensor: Tensor) {
    guard let p = index[ObjectIdentifier(tensor)], let gradient = tensor.gradient, !received[p] else { return }
    received[p] = true
    let bucket = buckets[bucketOfParameter[p]]
    let source = gradient.storage.pointer, target = bucket.buffer.baseAddress! + offsetOfParameter[p]
    for i in 0..<gradient.count { target[i] = source[i] * scale }
    bucket.pending -= 1
    while launched < buckets.count && buckets[launched].pending == 0 { launch(launched) }
  }

  private func launch(_ b: Int) {
    launched = b + 1
    let bucket = buckets[b], communicator = communicator
    queue.async { [self] in
      guard lock.withLock({ failure == nil }) else { return }
      do {
        try communicator.allreduce(bucket.buffer, .sum)
      } catch {
        lock.withLock { failure = error }
      }
    }
  }

  /// Sums `values` over the ranks behind every reduction already started (synchronised batch normalisation's
  /// statistics, during the forward and the backward pass), so every rank issues the same collectives in the same
  /// order.
  func sumInOrder(_ values: inout [Double]) throws {
    let communicator = communicator
    let box = DoublesBox(values)
    try queue.sync {
      if let failure = lock.withLock({ failure }) { throw failure }
      box.values = try communicator.allreduce(box.values, .sum)
    }
    values = box.values
  }

  /// Reduces the buckets not started yet, waits for all, then sums `statistics` (loss sums, counts) over the
  /// ranks and returns them. Every parameter that received a gradient on any rank gets the sum of the ranks'
  /// scaled gradients; the others keep none, as in a single process.
  func finish(statistics: [Double]) throws -> [Double] {
    while launched < buckets.count { launch(launched) }
    queue.sync {}
    if let failure = lock.withLock({ failure }) { throw failure }
    let tail = try communicator.allreduce(statistics + received.map { $0 ? 1 : 0 }, .sum)
    for (p, parameter) in parameters.enumerated() {
      guard tail[statistics.count + p] > 0 else { parameter.gradient = nil; continue }
      let gradient = Tensor(uninitializedShape: parameter.shape)
      gradient.storage.pointer.update(from: buckets[bucketOfParameter[p]].buffer.baseAddress! + offsetOfParameter[p], count: parameter.count)
      parameter.gradient = gradient
    }
    return Array(tail.prefix(statistics.count))
  }
}

/// Values handed to the reduction queue while the caller waits for them.
private final class DoublesBox: @unchecked Sendable {
  var values: [Double]
  init(_ values: [Double]) { self.values = values }
}
