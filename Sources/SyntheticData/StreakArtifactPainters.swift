import Foundation

/// Paints the bogus (rb = 0) streak kinds: what ZTF's streak detector also picks up.
extension StreakScene {
  mutating func paintBogus(_ kind: StreakKind, _ random: inout SampleRandom) -> StreakTruth {
    addUnrelatedSources(&random)
    switch kind {
    case .cosmicRay:
      // 1-4 rays, the first through the centre: sharp 1-px tracks of 3-30 px, straight or gently curved.
      for index in 0..<random.integer(1...4) {
        let x = index == 0 ? centre + random.uniform(-8, 8) : random.uniform(0, Double(size - 1))
        let y = index == 0 ? centre + random.uniform(-8, 8) : random.uniform(0, Double(size - 1))
        addCosmicRayTrack(x: x, y: y, length: random.logUniform(3...30), peak: random.logUniform(10...200) * noise, &random)
      }
    case .artifact:
      switch random.weightedIndex([0.45, 0.30, 0.25]) {
      case 0:
        let column = Int((centre + random.uniform(-10, 10)).rounded())
        addBadColumn(column: column, excess: random.logUniform(2...30) * noise, &random)
        if random.chance(0.5) { signal.transpose() } // a bad row instead
      case 1:
        addGhostRing(&random)
      default:
        addRowBanding(&random)
      }
    case .starResidual:
      addStarResidual(x: centre + random.uniform(-15, 15), y: centre + random.uniform(-15, 15), &random)
    case .noise:
      for _ in 0..<random.integer(2...8) {
        addPointResidual(
          x: random.uniform(0, Double(size - 1)), y: random.uniform(0, Double(size - 1)),
          snr: random.logUniform(3...30), &random)
      }
    default:
      preconditionFailure("paintBogus: \(kind) is not a bogus streak kind")
    }
    return StreakTruth(
      kind: kind, length: 0, angle: 0, x: centre, y: centre, snr: 0, width: psfSigma, noise: noise, shortLabel: 0)
  }

  /// A cosmic ray: charge dropped pixel by pixel along a path whose direction drifts a little (worms).
  mutating func addCosmicRayTrack(x: Double, y: Double, length: Double, peak: Double, _ random: inout SampleRandom) {
    var angle = random.uniform(0, 2 * Double.pi)
    let curl = random.chance(0.3) ? random.uniform(-0.15, 0.15) : 0
    var (px, py) = (x, y)
    var visited = Set<Int>()
    var travelled = 0.0
    while travelled <= length {
      let row = Int(py.rounded()), column = Int(px.rounded())
      if visited.insert(row * 65536 + column).inserted {
        signal.deposit(row: row, column: column, Float(peak * random.uniform(0.4, 1)))
      }
      px += 0.5 * Foundation.cos(angle)
      py += 0.5 * Foundation.sin(angle)
      angle += curl
      travelled += 0.5
    }
  }

  /// A column (1 px, sometimes bleeding into a neighbour) with excess charge over all or part of the cutout.
  mutating func addBadColumn(column: Int, excess: Double, _ random: inout SampleRandom) {
    let start = random.chance(0.5) ? 0 : random.integer(0...(size / 2))
    let end = random.chance(0.5) ? size - 1 : random.integer((size / 2)...(size - 1))
    let neighbour = random.chance(0.3) ? (random.chance(0.5) ? 1 : -1) : 0
    for row in start...end {
      let value = excess * random.uniform(0.85, 1.15)
      signal.deposit(row: row, column: column, Float(value))
      if neighbour != 0 { signal.deposit(row: row, column: column + neighbour, Float(0.3 * value)) }
    }
  }

  /// An out-of-focus reflection: a faint annulus (ghost) of radius 6-25 px.
  mutating func addGhostRing(_ random: inout SampleRandom) {
    let x = centre + random.uniform(-20, 20), y = centre + random.uniform(-20, 20)
    let radius = random.uniform(6, 25), width = random.uniform(1, 4)
    let amplitude = random.logUniform(1.5...10) * noise
    for row in 0..<size {
      for column in 0..<size {
        let r = ((Double(column) - x) * (Double(column) - x) + (Double(row) - y) * (Double(row) - y)).squareRoot()
        let d = (r - radius) / width
        guard abs(d) < 4 else { continue }
        signal[row, column] += Float(amplitude * Foundation.exp(-d * d / 2))
      }
    }
  }

  /// Readout pattern noise: a sinusoidal offset from row to row plus random per-row jumps.
  mutating func addRowBanding(_ random: inout SampleRandom) {
    let amplitude = random.logUniform(0.5...3) * noise
    let period = random.uniform(3, 30), phase = random.uniform(0, 2 * Double.pi)
    let jitter = random.uniform(0, 0.5) * noise
    for row in 0..<size {
      let offset = amplitude * Foundation.sin(2 * Double.pi * Double(row) / period + phase) + jitter * random.normal()
      for column in 0..<size { signal[row, column] += Float(offset) }
    }
    if random.chance(0.5) { signal.transpose() }
  }

  /// A bright star's subtraction residual: a ring from a PSF-width mismatch, a flat-topped core where
  /// the two epochs saturated at different levels, and a vertical bleed-trail residual (which is straight
  /// and streak-like, but 1-2 px wide, exactly vertical and ending in a saturated star).
  mutating func addStarResidual(x: Double, y: Double, _ random: inout SampleRandom) {
    let fwhm = psfSigma * (8 * Foundation.log(2)).squareRoot()
    let ringFlux = random.logUniform(20...300) * noise / PointSpreadFunction.gaussian(fwhm: fwhm).centralDensity
    let mismatch = 1 + random.sign() * random.uniform(0.05, 0.15)
    signal.addPointSource(x: x, y: y, flux: ringFlux, psf: .gaussian(fwhm: fwhm))
    signal.addPointSource(x: x, y: y, flux: -ringFlux, psf: .gaussian(fwhm: fwhm * mismatch))
    let coreRadius = random.uniform(1, 4), plateau = random.sign() * random.logUniform(5...60) * noise
    let trail = random.integer(8...60), trailLevel = random.sign() * random.logUniform(5...80) * noise
    let column = Int(x.rounded()), row = Int(y.rounded())
    let wide = random.chance(0.4)
    for r in (row - trail)...(row + trail) {
      signal.deposit(row: r, column: column, Float(trailLevel))
      if wide { signal.deposit(row: r, column: column + 1, Float(trailLevel * 0.6)) }
    }
    let reach = Int(coreRadius.rounded(.up))
    for r in (row - reach)...(row + reach) {
      for c in (column - reach)...(column + reach) {
        let d2 = (Double(c) - x) * (Double(c) - x) + (Double(r) - y) * (Double(r) - y)
        if d2 <= coreRadius * coreRadius { signal.deposit(row: r, column: c, Float(plateau)) }
      }
    }
  }
}

extension Raster {
  /// Swaps rows and columns (square rasters only): turns a bad column into a bad row.
  mutating func transpose() {
    precondition(width == height, "Raster.transpose: only square rasters")
    for r in 0..<height {
      for c in (r + 1)..<width {
        pixels.swapAt(r * width + c, c * width + r)
      }
    }
  }
}
