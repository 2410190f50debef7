import Foundation

/// Paints the real (rb = 1) streak kinds: a trailed PSF of random direction whose length decides sl and
/// whose quality decides kd.
extension StreakScene {
  mutating func paintRealStreak(_ kind: StreakKind, _ configuration: StreakConfiguration,
                                _ random: inout SampleRandom) -> StreakTruth {
    addUnrelatedSources(&random)
    let short = random.chance(configuration.shortFraction)
    let range = configuration.lengthRange
    let length = short
      ? random.uniform(range.lowerBound, configuration.shortLengthCut)
      : random.uniform(configuration.shortLengthCut, range.upperBound)
    let angle = random.uniform(0, Double.pi)
    let (ux, uy) = (Foundation.cos(angle), Foundation.sin(angle))
    // Midpoint near the centre, but never so far that the trail leaves the cutout: its visible length is
    // its true length, which is what sl is defined on.
    let margin = 3.0
    let roomX = max(0, centre - margin - length / 2 * abs(ux)), roomY = max(0, centre - margin - length / 2 * abs(uy))
    let x = centre + random.uniform(-1, 1) * min(10, roomX)
    let y = centre + random.uniform(-1, 1) * min(10, roomY)
    let start = (x: x - length / 2 * ux, y: y - length / 2 * uy)
    let end = (x: x + length / 2 * ux, y: y + length / 2 * uy)

    var snr = random.logUniform(configuration.keepSNRRange)
    var width = psfSigma
    // A clean trail still varies by a few per cent (slow rotation, changing airmass along the exposure).
    let wobble = random.uniform(0, 0.08), wobbleCycles = random.uniform(0.5, 2), wobblePhase = random.uniform(0, 6.3)
    var modulation: (Double) -> Double = { 1 + wobble * Foundation.sin(2 * Double.pi * wobbleCycles * $0 + wobblePhase) }
    switch kind {
    case .streak:
      break
    case .faintStreak:
      snr = random.uniform(configuration.faintSNRRange)
    case .irregularStreak:
      modulation = Self.irregularModulation(&random)
    case .wideStreak:
      width = psfSigma * random.uniform(2.5, 5)
    case .artifactAdjacentStreak:
      paintArtifactBeside(start: start, end: end, &random)
    default:
      preconditionFailure("paintRealStreak: \(kind) is not a real streak kind")
    }
    signal.addStreak(from: start, to: end, peak: snr * noise, sigma: width, modulation: modulation)
    return StreakTruth(
      kind: kind, length: length, angle: angle, x: x, y: y, snr: snr, width: width, noise: noise,
      shortLabel: length < configuration.shortLengthCut ? 1 : 0)
  }

  /// Brightness along an irregular trail: 1-3 gaps (dashed), deep periodic flashes of a tumbling body, or
  /// one flare on a dim trail.
  private static func irregularModulation(_ random: inout SampleRandom) -> (Double) -> Double {
    switch random.weightedIndex([0.35, 0.40, 0.25]) {
    case 0:
      let gaps = (0..<random.integer(1...3)).map { _ -> ClosedRange<Double> in
        let width = random.uniform(0.1, 0.25), start = random.uniform(0.05, 0.95 - width)
        return start...(start + width)
      }
      return { t in gaps.contains { $0.contains(t) } ? 0 : 1 }
    case 1:
      let depth = random.uniform(0.7, 1), cycles = random.uniform(2, 8), phase = random.uniform(0, 2 * Double.pi)
      return { t in 1 + depth * Foundation.sin(2 * Double.pi * cycles * t + phase) }
    default:
      let at = random.uniform(0.15, 0.85), spread = random.uniform(0.03, 0.1), boost = random.uniform(3, 8)
      return { t in 0.3 + boost * Foundation.exp(-(t - at) * (t - at) / (2 * spread * spread)) }
    }
  }

  /// A bright-star residual (60%) or bad column (40%) 4-15 px to one side of the trail's midpoint.
  private mutating func paintArtifactBeside(start: (x: Double, y: Double), end: (x: Double, y: Double),
                                            _ random: inout SampleRandom) {
    let mx = (start.x + end.x) / 2, my = (start.y + end.y) / 2
    let dx = end.x - start.x, dy = end.y - start.y
    let length = max((dx * dx + dy * dy).squareRoot(), 1)
    let side = random.sign() * random.uniform(4, 15)
    let along = random.uniform(-0.4, 0.4) * length
    let x = mx + along * dx / length - side * dy / length
    let y = my + along * dy / length + side * dx / length
    if random.chance(0.6) {
      addStarResidual(x: x, y: y, &random)
    } else {
      addBadColumn(column: Int(x.rounded()), excess: random.logUniform(3...30) * noise, &random)
    }
  }
}
