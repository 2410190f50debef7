import AstroKernels

/// ONNX `pads` `[top, left, bottom, right]` of TensorFlow's `same` padding (ONNX's SAME_UPPER) for a window on an
/// input of `height` × `width`, as the kernels compute it (the odd pixel at the end).
func tensorFlowSamePads(height: Int, width: Int, window: (Int, Int), strides: (Int, Int)) -> [Int] {
  let rows = windowedAxis(input: height, window: window.0, stride: strides.0, padding: .same, axis: 0)
  let columns = windowedAxis(input: width, window: window.1, stride: strides.1, padding: .same, axis: 1)
  return [rows?.padBefore ?? 0, columns?.padBefore ?? 0, rows?.padAfter ?? 0, columns?.padAfter ?? 0]
}
