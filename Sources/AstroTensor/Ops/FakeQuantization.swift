import Foundation

extension Tensor {
  /// Simulated 8-bit asymmetric quantization, as int8 inference will see the values: each element rounded to the
  /// nearest of the 256 levels of `scale·(q − zeroPoint)`, q in [−128, 127], with TensorFlow's scale and zero
  /// point for the range [low, high] (widened to contain 0). The backward pass is the straight-through estimator:
  /// the gradient passes unchanged where the input lies inside the representable range, and is 0 where it was
  /// clipped (quantization-aware training, Jacob et al. 2018).
  public func fakeQuantized(low: Float, high: Float) -> Tensor {
    let lo = min(low, 0), hi = max(high, 0)
    let scale = max((hi - lo) / 255, 1e-8)
    let zeroPoint = max(-128, min(127, (-128 - lo / scale).rounded(.toNearestOrAwayFromZero)))
    let minimum = (-128 - zeroPoint) * scale, maximum = (127 - zeroPoint) * scale
    let out = mapped { x in
      let level = max(-128, min(127, (x / scale).rounded(.toNearestOrAwayFromZero) + zeroPoint))
      return (level - zeroPoint) * scale
    }
    let saved = detached()
    return .result(out, of: "fakeQuantized", inputs: [self]) { g, _ in
      [g.zipped(saved) { dy, x in x >= minimum && x <= maximum ? dy : 0 }]
    }
  }

  /// Simulated symmetric int8 weights, quantized per slice of the last axis (the output channels of an HWIO
  /// kernel or a `[inputs, units]` dense kernel) or per tensor: `scale = max|w|/127`, levels in [−127, 127]. The
  /// backward pass is the straight-through estimator (every weight lies inside its range).
  public func fakeQuantizedSymmetric(perLastAxis: Bool) -> Tensor {
    let channels = perLastAxis ? (shape.last ?? 1) : 1
    var largest = [Float](repeating: 0, count: channels)
    let p = storage.pointer
    for i in 0..<count { largest[i % channels] = max(largest[i % channels], abs(p[i])) }
    let scales = largest.map { $0 > 0 && $0.isFinite ? $0 / 127 : 1 }
    let out = Tensor(uninitializedShape: shape)
    for i in 0..<count {
      let s = scales[i % channels]
      out.storage.pointer[i] = max(-127, min(127, (p[i] / s).rounded(.toNearestOrAwayFromZero))) * s
    }
    return .result(out, of: "fakeQuantizedSymmetric", inputs: [self]) { g, _ in [g] }
  }
}
