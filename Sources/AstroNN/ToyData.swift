import AstroTensor
import Foundation

/// A small, seeded, linearly non-trivial image problem for smoke tests and the demo: class 1 images hold a
/// Gaussian blob near the centre, class 0 images hold only noise and a single hot pixel. It exercises
/// training end to end; realistic ZTF-like data lives with the dataset generators.
public enum ToyData {
  /// `count` NHWC images of `shape` (`[H, W, C]`) with labels alternating 0, 1 in a shuffled order.
  public static func blobsVersusHotPixels(count: Int, shape: [Int], seed: UInt64) -> (images: Tensor, labels: Tensor) {
    var rng = SeededGenerator(seed: seed)
    let (h, w, c) = (shape[0], shape[1], shape[2])
    let images = Tensor(uninitializedShape: [count] + shape)
    let labels = Tensor(uninitializedShape: [count])
    let p = images.storage.pointer
    for n in 0..<count {
      let positive = rng.nextUnitFloat() < 0.5
      labels.storage.pointer[n] = positive ? 1 : 0
      let base = p + n * h * w * c
      for i in 0..<(h * w * c) { base[i] = 0.1 * rng.nextNormal() }
      if positive {
        let cy = Float(h) / 2 + (rng.nextUnitFloat() - 0.5) * Float(h) / 4
        let cx = Float(w) / 2 + (rng.nextUnitFloat() - 0.5) * Float(w) / 4
        let sigma = 1.5 + 1.5 * rng.nextUnitFloat()
        let amplitude = 0.5 + rng.nextUnitFloat()
        for y in 0..<h {
          for x in 0..<w {
            let d2 = (Float(y) - cy) * (Float(y) - cy) + (Float(x) - cx) * (Float(x) - cx)
            let v = amplitude * Foundation.exp(-d2 / (2 * sigma * sigma))
            for ch in 0..<c { base[(y * w + x) * c + ch] += v }
          }
        }
      } else {
        let y = Int(rng.next() % UInt64(h)), x = Int(rng.next() % UInt64(w))
        base[(y * w + x) * c + Int(rng.next() % UInt64(c))] += 1.5 + rng.nextUnitFloat()
      }
    }
    return (images, labels)
  }
}
