import AstroInt8
import AstroNN
import AstroTensor
import Foundation

/// Post-training quantization of any model the framework builds or loads: per-channel symmetric int8
/// convolution weights, per-tensor asymmetric int8 activations calibrated on sample inputs, batch normalisation
/// folded, ReLU fused, bias corrected, concatenations sharing their scales (LiteRT's rule).
public enum PostTrainingQuantization {
  /// Quantizes `model`, calibrating on `calibration`: one batch per model input (`[N] + inputShape`, float as the
  /// model takes them).
  /// - Throws: `QuantizationError` naming a layer the int8 lowering does not handle, or calibration inputs that do
  ///   not fit the model.
  public static func quantize(_ model: Model, calibration: [Tensor], options: QuantizationOptions = QuantizationOptions())
    throws -> QuantizedModel
  {
    try quantize(model, calibration: calibration, options: options, valueRanges: [:])
  }

  /// As above, with the ranges of some model values given (quantization-aware training's tracked ranges): a
  /// group of tensors holding such values takes the union of their given ranges instead of calibrating.
  static func quantize(_ model: Model, calibration: [Tensor], options: QuantizationOptions,
                       valueRanges: [Int: (lo: Float, hi: Float)]) throws -> QuantizedModel {
    guard calibration.count == model.inputShapes.count, let count = calibration.first?.shape.first, count > 0 else {
      throw QuantizationError.calibration(
        "\(calibration.count) calibration batch(es) for \(model.inputShapes.count) input(s), each with at least one sample")
    }
    for (batch, shape) in zip(calibration, model.inputShapes) where Array(batch.shape.dropFirst()) != shape || batch.shape[0] != count {
      throw QuantizationError.calibration("a batch of shape \(batch.shape) for an input of shape [N] + \(shape)")
    }
    var plan = try Lowering.plan(model, options: options)
    let groups = plan.tensors.indices.map { plan.root($0) }
    var statistics = [Int: RangeStatistics]()
    var shifts = [Int: (sums: [Double], count: Int)]()

    func batches(_ body: ([Tensor]) throws -> Void) throws {
      var start = 0
      while start < count {
        let end = min(count, start + options.calibrationBatchSize)
        let slices = try calibration.map { try $0.slice(along: 0, start..<end) }
        try body(try model.allValues(slices))
        start = end
      }
    }
    // Pass 1: ranges, and the mean shifts weight rounding causes.
    try batches { values in
      for (t, tensor) in plan.tensors.enumerated() {
        guard let source = tensor.source else { continue }
        statistics[groups[t], default: RangeStatistics()].observe(minimumAndMaximumOf: try source.evaluate(values).values)
      }
      if options.biasCorrection {
        for site in plan.biasCorrections {
          let (sums, n) = try withoutGradients { try site.measure(values) }
          var total = shifts[site.bias] ?? ([Double](repeating: 0, count: sums.count), 0)
          for c in sums.indices { total.sums[c] += sums[c] }
          total.count += n
          shifts[site.bias] = total
        }
      }
    }
    // Pass 2: histograms, for the methods that need them.
    func method(_ group: Int) -> CalibrationMethod {
      for (t, tensor) in plan.tensors.enumerated() where groups[t] == group {
        if let chosen = options.methodOverrides[tensor.layer] { return chosen }
      }
      return options.method
    }
    let histogramGroups = Set(statistics.keys.filter { method($0) != .minMax })
    if !histogramGroups.isEmpty {
      for group in histogramGroups { statistics[group]?.startHistogram() }
      try batches { values in
        for (t, tensor) in plan.tensors.enumerated() where histogramGroups.contains(groups[t]) {
          guard let source = tensor.source else { continue }
          statistics[groups[t]]?.observe(histogramOf: try source.evaluate(values).values)
        }
      }
    }
    var groupQuantization = [Int: Quantization]()
    for (t, tensor) in plan.tensors.enumerated() {
      guard let fixed = tensor.fixed else { continue }
      if let other = groupQuantization[groups[t]], other != fixed {
        throw QuantizationError.unsupported("tensor '\(tensor.name)' must have fixed parameters that another in its group contradicts")
      }
      groupQuantization[groups[t]] = fixed
    }
    var givenRanges = [Int: (lo: Float, hi: Float)]()
    for (t, tensor) in plan.tensors.enumerated() {
      guard case .value(let v)? = tensor.source, let range = valueRanges[v] else { continue }
      let current = givenRanges[groups[t]] ?? (range.lo, range.hi)
      givenRanges[groups[t]] = (min(current.lo, range.lo, 0), max(current.hi, range.hi, 0))
    }
    for (group, range) in givenRanges where groupQuantization[group] == nil {
      let (scale, zeroPoint) = activationQuantization(lo: range.lo, hi: range.hi)
      groupQuantization[group] = Quantization(scale: scale, zeroPoint: zeroPoint)
    }
    var chosenRanges = [Int: (lo: Float, hi: Float, method: CalibrationMethod)]()
    for (group, stats) in statistics where groupQuantization[group] == nil {
      let m = method(group)
      let (lo, hi) = stats.range(m)
      let (scale, zeroPoint) = activationQuantization(lo: lo, hi: hi)
      groupQuantization[group] = Quantization(scale: scale, zeroPoint: zeroPoint)
      chosenRanges[group] = (lo, hi, m)
    }
    let graph = try Finalization.graph(plan, groups: groups, quantization: groupQuantization,
                                       shifts: options.biasCorrection ? shifts : [:], description: "AstroLearn: \(model.name) (int8)")
    let sourceOf = Dictionary(uniqueKeysWithValues: plan.tensors.enumerated().compactMap { t, tensor in
      tensor.source.map { (t, $0) }
    })
    return try QuantizedModel(graph: graph, model: model, sources: sourceOf, layers: plan.tensors.map(\.layer),
                          methods: groups.map { g in chosenRanges[g].map { .calibrated($0.method) } ?? (givenRanges[g] != nil ? .trained : nil) })
  }
}
