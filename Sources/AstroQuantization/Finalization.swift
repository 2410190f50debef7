import AstroInt8
import Foundation

/// Turns a calibrated plan into a quantized graph: activation parameters from their group, weights and operands
/// quantized, biases rounded to int32 at `s_input · s_weights`.
enum Finalization {
  static func graph(_ plan: Plan, groups: [Int], quantization: [Int: Quantization], shifts: [Int: (sums: [Double], count: Int)],
                    description: String) throws -> QuantizedGraph {
    var tensors = [GraphTensor]()
    func activationQuantization(_ t: Int) throws -> Quantization {
      guard let q = quantization[groups[t]] else {
        throw QuantizationError.calibration("tensor '\(plan.tensors[t].name)' saw no calibration values")
      }
      return q
    }
    var weightScales = [Int: [Float]]()
    for (t, planned) in plan.tensors.enumerated() {
      var tensor = GraphTensor(name: planned.name, shape: planned.shape, type: planned.type)
      switch planned.constant {
      case .int32(let shape, let values)?:
        tensor.data = try TensorValues(shape: shape, int32s: values).bytes
      case .weights(let shape, let values, let perChannel)?:
        guard values.allSatisfy(\.isFinite) else { throw QuantizationError.unsupported("'\(planned.name)' holds values that are not finite") }
        let (scales, quantized) = WeightQuantization.quantize(values, channels: shape[0], perChannel: perChannel)
        tensor.quantization = Quantization(scales: scales, zeroPoints: [Int](repeating: 0, count: scales.count), dimension: 0)
        tensor.data = quantized.map { UInt8(bitPattern: $0) }
        weightScales[t] = scales
      case .bias(let values, let input, let weights)?:
        guard values.allSatisfy(\.isFinite) else { throw QuantizationError.unsupported("'\(planned.name)' holds values that are not finite") }
        let inputScale = try activationQuantization(input).scale
        guard let scales = weightScales[weights] else { throw QuantizationError.unsupported("'\(planned.name)' precedes its weights") }
        let corrected = shifts[t].map { shift in
          values.indices.map { values[$0] - Float(shift.sums[$0] / Double(max(shift.count, 1))) }
        } ?? values
        let biasScales = values.indices.map { inputScale * scales[scales.count == 1 ? 0 : $0] }
        tensor.quantization = Quantization(scales: biasScales, zeroPoints: [Int](repeating: 0, count: biasScales.count), dimension: 0)
        tensor.data = try TensorValues(shape: [values.count], int32s: corrected.indices.map { c in
          Int32(max(-2_147_483_520, min(2_147_483_520, (Double(corrected[c]) / Double(biasScales[c])).rounded(.toNearestOrAwayFromZero))))
        }).bytes
      case .operand(_, let values)?:
        guard values.allSatisfy(\.isFinite) else { throw QuantizationError.unsupported("'\(planned.name)' holds values that are not finite") }
        let (scale, zeroPoint) = AstroQuantization.activationQuantization(
          lo: min(values.min() ?? 0, 0), hi: max(values.max() ?? 0, 0))
        tensor.quantization = Quantization(scale: scale, zeroPoint: zeroPoint)
        tensor.data = values.map { UInt8(bitPattern: Int8(max(-128, min(127, ($0 / scale).rounded(.toNearestOrAwayFromZero) + Float(zeroPoint))))) }
      case nil:
        if let (linked, offset) = planned.mirror {
          if let offset {
            let q = try activationQuantization(linked)
            tensor.quantization = Quantization(scale: q.scale, zeroPoint: q.zeroPoint + offset)
          }
        } else {
          tensor.quantization = try activationQuantization(t)
        }
      }
      tensors.append(tensor)
    }
    return QuantizedGraph(tensors: tensors, operators: plan.operators, inputs: plan.inputs, outputs: plan.outputs,
                          description: description)
  }
}
