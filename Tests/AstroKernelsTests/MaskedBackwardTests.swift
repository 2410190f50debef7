import AstroKernels
import XCTest

/// The fused-ReLU backward (output mask) equals the plain backward of a gradient masked beforehand, on
/// every route: pointwise, transposed convolution (stride 1) and col2im (stride 2), direct kernels or im2col;
/// so does `Convolution.backward`, which masks once for both gradients.
final class MaskedBackwardTests: XCTestCase {
  func testMaskedRoutesEqualPremaskedGradient() {
    let cases: [(k: Int, stride: Int, padding: WindowPadding)] = [(1, 1, .valid), (3, 1, .same), (3, 1, .valid), (3, 2, .same)]
    var seed: UInt64 = 12345
    func next() -> Float {
      seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(Int64(bitPattern: seed >> 11) % 2000 - 1000) / 1000
    }
    withConvolutionRoutes { route in
    for (k, stride, padding) in cases {
      let g = WindowGeometry(
        batch: 3, inHeight: 9, inWidth: 8, channels: 4, kernelHeight: k, kernelWidth: k, strideH: stride,
        strideW: stride, padding: padding)!
      let filters = 5
      let x = (0..<(g.batch * g.inputSampleSize)).map { _ in next() }
      let kernel = (0..<(g.patchSize * filters)).map { _ in next() }
      let dy = (0..<(g.outputRows * filters)).map { _ in next() }
      let mask = (0..<(g.outputRows * filters)).map { _ in max(next(), 0) }  // a ReLU output: about half zero
      let premasked = zip(dy, mask).map { $1 > 0 ? $0 : 0 }

      func kernelGradient(_ dy: [Float], _ mask: [Float]?) -> [Float] {
        var dk = [Float](repeating: 0, count: g.patchSize * filters)
        var db = [Float](repeating: 0, count: filters)
        Convolution.backwardKernel(
          g, input: x, outputGradient: dy, outputMask: mask, filters: filters, kernelGradient: &dk, biasGradient: &db)
        return dk + db
      }
      func inputGradient(_ dy: [Float], _ mask: [Float]?) -> [Float] {
        var dx = [Float](repeating: .nan, count: g.batch * g.inputSampleSize)
        Convolution.backwardInput(g, outputGradient: dy, outputMask: mask, kernel: kernel, filters: filters, inputGradient: &dx)
        return dx
      }
      let label = "k\(k) s\(stride) \(padding) \(route)"
      for (a, b) in zip(kernelGradient(dy, mask), kernelGradient(premasked, nil)) { XCTAssertEqual(a, b, accuracy: 1e-4, label) }
      for (a, b) in zip(inputGradient(dy, mask), inputGradient(premasked, nil)) { XCTAssertEqual(a, b, accuracy: 1e-4, label) }
      var combined = [Float](repeating: 0, count: g.patchSize * filters + filters)
      var combinedDx = [Float](repeating: .nan, count: g.batch * g.inputSampleSize)
      combined.withUnsafeMutableBufferPointer { dkdb in
        Convolution.backward(
          g, input: x, outputGradient: dy, outputMask: mask, kernel: kernel, filters: filters,
          kernelGradient: dkdb.baseAddress!, biasGradient: dkdb.baseAddress! + g.patchSize * filters,
          inputGradient: &combinedDx)
      }
      for (a, b) in zip(combined, kernelGradient(premasked, nil)) { XCTAssertEqual(a, b, accuracy: 1e-4, "backward \(label)") }
      for (a, b) in zip(combinedDx, inputGradient(premasked, nil)) { XCTAssertEqual(a, b, accuracy: 1e-4, "backward \(label)") }
    }
    }
  }
}
