/// ONNX `pads` `[top, left, bottom, right]` of TensorFlow's `same` padding (ONNX's SAME_UPPER) for a window on an
/// input of `height` × `width`: `total = max((ceil(in / s) − 1)·s + k − in, 0)`, the odd pixel at the end.
func tensorFlowSamePads(height: Int, width: Int, window: (Int, Int), strides: (Int, Int)) -> [Int] {
  func total(_ size: Int, _ k: Int, _ s: Int) -> Int { max(((size + s - 1) / s - 1) * s + k - size, 0) }
  let th = total(height, window.0, strides.0), tw = total(width, window.1, strides.1)
  return [th / 2, tw / 2, th - th / 2, tw - tw / 2]
}
