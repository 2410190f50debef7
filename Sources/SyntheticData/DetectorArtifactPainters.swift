import Foundation

/// Paints the bogus kinds made by the detector rather than the sky: cosmic rays, hot pixels and bad
/// columns, and CCD edges. None of them goes through the PSF, which is what tells them from stars.
extension TripletScene {
  /// Cosmic-ray hits in the science exposure only (the template is a coadd with rays rejected), so they show
  /// in science and difference but not in the template. Peaks of 8-300 sky sigmas. Shapes: a single pixel
  /// with a little charge diffusion (30%), a compact 2-4 pixel cluster (35%), or a short straight track of
  /// 3-10 px (35%). A quarter land on a galaxy (variant suffix `_on_galaxy`); a quarter come with 1-3
  /// further hits elsewhere.
  mutating func paintCosmicRay(_ configuration: ZTFTripletConfiguration, _ random: inout SampleRandom) -> TripletTruth {
    addFieldStars(&random)
    let position = jitteredCentre(configuration.centreJitter, &random)
    let onGalaxy = random.chance(0.25)
    if onGalaxy {
      let profile = Self.randomProfile(radii: 1.5...8, &random)
      addStaticGalaxy(
        x: position.x + random.normal(mean: 0, deviation: 2), y: position.y + random.normal(mean: 0, deviation: 2),
        flux: galaxyFlux(profile: profile, contrast: random.logUniform(0.5...30)), profile: profile)
    }
    let sigma = conditions.scienceSigma(signal: 0)
    let variant = paintHit(at: position, peak: random.logUniform(8...300) * sigma, &random)
    if random.chance(0.25) {
      for _ in 0..<random.integer(1...3) {
        let elsewhere = (random.uniform(0, Double(size - 1)), random.uniform(0, Double(size - 1)))
        _ = paintHit(at: elsewhere, peak: random.logUniform(8...300) * sigma, &random)
      }
    }
    return bogusTruth(.cosmicRay, onGalaxy ? variant + "_on_galaxy" : variant, position)
  }

  /// Paints one hit and returns its shape: "single", "cluster" or "track".
  private mutating func paintHit(at position: (x: Double, y: Double), peak: Double,
                                 _ random: inout SampleRandom) -> String {
    let row = Int(position.y.rounded()), column = Int(position.x.rounded())
    switch random.weightedIndex([0.30, 0.35, 0.35]) {
    case 0:
      science.deposit(row: row, column: column, Float(peak))
      // Charge diffusing into 0-2 neighbours, at most 15% of the peak: far sharper than any seeing.
      for _ in 0..<random.integer(0...2) {
        let (dr, dc) = Self.neighbourOffsets[random.integer(0...3)]
        science.deposit(row: row + dr, column: column + dc, Float(peak * random.uniform(0.02, 0.15)))
      }
      return "single"
    case 1:
      var cells = [(row, column)]
      for _ in 0..<random.integer(1...3) {
        let (r, c) = cells[random.integer(0...(cells.count - 1))]
        let (dr, dc) = Self.neighbourOffsets[random.integer(0...3)]
        cells.append((r + dr, c + dc))
      }
      for (index, cell) in cells.enumerated() {
        let fraction = index == 0 ? 1 : random.uniform(0.3, 1)
        science.deposit(row: cell.0, column: cell.1, Float(peak * fraction))
      }
      return "cluster"
    default:
      // A track: energy deposited pixel by pixel along a straight path (nearest pixel, no PSF blur).
      let length = random.uniform(3, 10)
      let angle = random.uniform(0, Double.pi)
      var visited = Set<Int>()
      var t = -length / 2
      while t <= length / 2 {
        let r = Int((position.y + t * Foundation.sin(angle)).rounded())
        let c = Int((position.x + t * Foundation.cos(angle)).rounded())
        if visited.insert(r * 4096 + c).inserted {
          science.deposit(row: r, column: c, Float(peak * random.uniform(0.4, 1)))
        }
        t += 0.5
      }
      return "track"
    }
  }

  static let neighbourOffsets = [(0, 1), (0, -1), (1, 0), (-1, 0)]

  /// Hot pixels and bad columns of the science CCD (55% hot pixels, 30% a bad column through the
  /// candidate, 15% a hot pixel of the template, which shows as a sharp negative spot in the difference).
  mutating func paintHotPixel(_ configuration: ZTFTripletConfiguration, _ random: inout SampleRandom) -> TripletTruth {
    addFieldStars(&random)
    let position = jitteredCentre(configuration.centreJitter, &random)
    let row = Int(position.y.rounded()), column = Int(position.x.rounded())
    let sigma = conditions.scienceSigma(signal: 0)
    let variant: String
    switch random.weightedIndex([0.55, 0.30, 0.15]) {
    case 0:
      variant = "hot_pixel"
      let peak = random.logUniform(8...500) * sigma
      science.deposit(row: row, column: column, Float(peak))
      if random.chance(0.4) {
        let (dr, dc) = Self.neighbourOffsets[random.integer(0...3)]
        science.deposit(row: row + dr, column: column + dc, Float(peak * random.uniform(0.1, 0.6)))
      }
      for _ in 0..<random.integer(0...3) {
        science.deposit(
          row: random.integer(0...(size - 1)), column: random.integer(0...(size - 1)),
          Float(random.logUniform(5...300) * sigma))
      }
    case 1:
      variant = "bad_column"
      // A column with excess charge over all or part of its length, sometimes bleeding into a neighbour.
      let excess = random.logUniform(3...60) * sigma
      let start = random.chance(0.5) ? 0 : random.integer(0...row)
      let end = random.chance(0.5) ? size - 1 : random.integer(row...(size - 1))
      let neighbour = random.chance(0.3) ? (random.chance(0.5) ? 1 : -1) : 0
      let neighbourFraction = random.uniform(0.2, 0.5)
      for r in start...end {
        let value = excess * random.uniform(0.85, 1.15)
        science.deposit(row: r, column: column, Float(value))
        if neighbour != 0 { science.deposit(row: r, column: column + neighbour, Float(value * neighbourFraction)) }
      }
    default:
      variant = "template_hot_pixel"
      let peak = random.logUniform(8...300) * sigma
      template.deposit(row: row, column: column, Float(peak))
      matchedTemplate.deposit(row: row, column: column, Float(peak))
    }
    return bogusTruth(.hotPixel, variant, (Double(column), Double(row)))
  }

  /// A candidate 2-10 px from a CCD edge: the far side of the edge is off the chip (NaN in science and
  /// difference; in the template too 60% of the time, partly 25%), and the edge itself leaves a bright
  /// ramp (amplifier glow / flat-field edge) in the science image that is not in the template, often with
  /// ringing parallel to the edge in the difference where the convolution kernel met the blank region.
  mutating func paintEdge(_ configuration: ZTFTripletConfiguration, _ random: inout SampleRandom) -> TripletTruth {
    addFieldStars(&random)
    let side = OffChipRegion.Side.allCases[random.integer(0...3)]
    let distance = random.uniform(2, 10)
    let region = OffChipRegion(side: side, depth: max(1, Int(centre - distance)))
    offChip = region
    let variant: String
    switch random.weightedIndex([0.6, 0.25, 0.15]) {
    case 0:
      templateOffChip = region
      variant = "template_same_edge"
    case 1:
      templateOffChip = OffChipRegion(side: side, depth: max(0, region.depth - random.integer(2...8)))
      variant = "template_shallower_edge"
    default:
      templateOffChip = nil
      variant = "template_complete"
    }
    let sigma = conditions.scienceSigma(signal: 0)
    let amplitude = random.logUniform(5...150) * sigma
    let decay = random.uniform(0.7, 4)
    let period = random.uniform(8, 40), phase = random.uniform(0, 2 * Double.pi)
    let ringing = random.chance(0.5) ? random.logUniform(2...20) * sigma * random.sign() : 0
    let ringWidth = random.uniform(1, 3)
    for row in 0..<size {
      for column in 0..<size {
        let inside = region.distanceInside(row: row, column: column, size: size)
        guard inside > 0, inside < 15 else { continue }
        let along = Double(side == .top || side == .bottom ? column : row)
        let modulation = 1 + 0.5 * Foundation.sin(2 * Double.pi * along / period + phase)
        science[row, column] += Float(amplitude * Foundation.exp(-inside / decay) * modulation)
        if ringing != 0 {
          let wave = Foundation.cos(Double.pi * inside / ringWidth) * Foundation.exp(-inside / (2 * ringWidth))
          differenceOnly[row, column] += Float(ringing * wave)
        }
      }
    }
    var truth = bogusTruth(.edge, variant, (centre, centre))
    truth.offChip = region
    return truth
  }

  /// The truth record of a bogus sample whose feature is at `position`.
  func bogusTruth(_ kind: TripletKind, _ variant: String, _ position: (x: Double, y: Double),
                  shift: Double = 0) -> TripletTruth {
    TripletTruth(
      kind: kind, variant: variant, x: position.x, y: position.y, differenceSign: 0, snr: 0, shift: shift,
      conditions: conditions, offChip: offChip)
  }
}
