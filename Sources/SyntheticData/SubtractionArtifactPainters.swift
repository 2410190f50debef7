import Foundation

/// Paints the bogus kinds made by image subtraction: misaligned stars (dipoles), saturated stars, and
/// source-free residuals of extended light and correlated noise.
extension TripletScene {
  /// A constant star (70%) or compact galaxy nucleus (30%) whose template is misregistered by 0.08-1.2 px
  /// (log-uniform, so small shifts are common): the difference shows a positive and a negative lobe. The
  /// source's flux is set by the dipole's own matched-filter SNR (12-120, so that each lobe passes a ~5 sigma
  /// detection threshold): small shifts come with bright stars, as in real data. A photometric mismatch
  /// whose residual is at most 25% of the dipole signal makes one lobe stronger but never hides the other.
  /// The field stars share the misalignment and the mismatch.
  mutating func paintDipole(_ configuration: ZTFTripletConfiguration, _ random: inout SampleRandom) -> TripletTruth {
    let shift = random.logUniform(0.08...1.2)
    let direction = random.uniform(0, 2 * Double.pi)
    templateShift = (shift * Foundation.cos(direction), shift * Foundation.sin(direction))
    let position = jitteredCentre(configuration.centreJitter, &random)
    let dipoleSNR = random.logUniform(12...120)
    let star = random.chance(0.7)
    let profile = SersicProfile(
      effectiveRadius: random.uniform(0.8, 2.5), index: random.uniform(1, 4),
      axisRatio: random.uniform(0.5, 1), angle: random.uniform(0, Double.pi))

    // Measure the dipole on the rendered unit-flux profiles, so that the SNR holds for Moffat wings,
    // galaxies and shifts beyond the linear regime alike: signal = |p - p shifted| per unit flux.
    var unshifted = Raster(width: size, height: size), shifted = unshifted
    func render(_ raster: inout Raster, _ dx: Double, _ dy: Double) {
      if star {
        raster.addPointSource(x: position.x + dx, y: position.y + dy, flux: 1, psf: conditions.sciencePSF)
      } else {
        raster.addGalaxy(x: position.x + dx, y: position.y + dy, flux: 1, profile: profile, psf: conditions.sciencePSF)
      }
    }
    render(&unshifted, 0, 0)
    render(&shifted, templateShift.x, templateShift.y)
    func norm(_ values: [Double]) -> Double { values.reduce(0) { $0 + $1 * $1 }.squareRoot() }
    let dipolePerFlux = norm(zip(unshifted.pixels, shifted.pixels).map { Double($0 - $1) })
    let profilePerFlux = norm(unshifted.pixels.map(Double.init))
    fluxMismatch = random.uniform(-1, 1) * 0.25 * dipolePerFlux / profilePerFlux
    addFieldStars(&random)

    let wanted = dipoleSNR * conditions.differenceSigma / max(dipolePerFlux, 1e-12)
    // Keep the source below saturation (saturated stars are a kind of their own), at the cost of a weaker dipole.
    let headroom = 0.8 * (conditions.scienceSaturation - conditions.scienceBackground)
    let flux = min(wanted, headroom / max(Double(unshifted.pixels.max() ?? 0), 1e-12))
    if star {
      addStar(x: position.x, y: position.y, scienceFlux: flux, templateFlux: flux)
    } else {
      addStaticGalaxy(x: position.x, y: position.y, flux: flux, profile: profile)
    }
    var truth = bogusTruth(.dipole, star ? "star" : "galaxy_nucleus", position, shift: shift)
    truth.snr = dipoleSNR * flux / wanted
    return truth
  }

  /// A star 1.5-40x over saturation within 6 px of the candidate: a flat-topped core clipped at different
  /// levels in science and template (a plateau residual), a 3-12% PSF-matching width error (a ring),
  /// and vertical bleed trails of different lengths in science and template (a residual trail).
  mutating func paintSaturatedStar(_ configuration: ZTFTripletConfiguration,
                                   _ random: inout SampleRandom) -> TripletTruth {
    matchedPSF = conditions.sciencePSF.widened(by: 1 + random.sign() * random.uniform(0.03, 0.12))
    fluxMismatch = random.normal(mean: 0, deviation: 0.02)
    addFieldStars(&random)
    let offset = random.uniform(0, 6), angle = random.uniform(0, 2 * Double.pi)
    let x = centre + offset * Foundation.cos(angle), y = centre + offset * Foundation.sin(angle)
    let ceiling = conditions.scienceSaturation - conditions.scienceBackground
    let overSaturation = random.logUniform(1.5...40)
    let flux = overSaturation * ceiling / conditions.sciencePSF.centralDensity
    addStar(x: x, y: y, scienceFlux: flux, templateFlux: flux)

    // Bleed trails: charge spilling up and down the column, longer for brighter stars.
    let trail = Int((random.uniform(2, 10) * Foundation.log2(overSaturation)).rounded()) + 1
    let templateTrail = Int((Double(trail) * random.uniform(0, 1.3)).rounded())
    let column = Int(x.rounded()), row = Int(y.rounded())
    let wide = overSaturation > 10 && random.chance(0.5)
    for dr in -trail...trail {
      science.deposit(row: row + dr, column: column, Float(3 * conditions.scienceSaturation))
      if wide { science.deposit(row: row + dr, column: column + 1, Float(3 * conditions.scienceSaturation)) }
      if abs(dr) <= templateTrail {
        template.deposit(row: row + dr, column: column, Float(3 * conditions.templateSaturation))
        matchedTemplate.deposit(row: row + dr, column: column, Float(3 * conditions.templateSaturation))
      }
    }
    return bogusTruth(.saturatedStar, wide ? "wide_trail" : "trail", (x, y))
  }

  /// No point source, but something a detector would trigger on that is not PSF-shaped. A pipeline
  /// detects with a PSF-matched filter, so extended residuals that pass its 5 sigma threshold have a
  /// higher SNR over their own area: 20-50 for the broad kinds below, 10-25 for the blotches.
  /// - `broad_blob` (35%): a smooth blob of 7-14 px FWHM, of either sign (a sky or kernel residual)
  /// - `galaxy_residual` (35%): a disc galaxy (r_e 4-10 px, n <= 2) over- or under-subtracted by 4-25%,
  ///   half of the time with a 5-15% PSF-matching width error too (a core and a ring of opposite signs)
  /// - `blotches` (30%): correlated noise from a poor convolution kernel, its strongest blotch (at least
  ///   6 px across) at the centre
  mutating func paintNoise(_ configuration: ZTFTripletConfiguration, _ random: inout SampleRandom) -> TripletTruth {
    addFieldStars(&random)
    let position = jitteredCentre(configuration.centreJitter, &random)
    let noise = conditions.differenceSigma
    let variant: String
    switch random.weightedIndex([0.35, 0.35, 0.30]) {
    case 0:
      variant = "broad_blob"
      let blob = PointSpreadFunction.gaussian(fwhm: max(7, conditions.sciencePSF.fwhm * random.uniform(2.5, 3.5)))
      let flux = random.uniform(20, 50) * noise * blob.noiseEquivalentArea.squareRoot() * (random.chance(0.6) ? 1 : -1)
      differenceOnly.addPointSource(x: position.x, y: position.y, flux: flux, psf: blob)
    case 1:
      variant = "galaxy_residual"
      // The residual (mismatch x galaxy flux) has the drawn SNR over the galaxy's seeing-blurred area.
      let profile = Self.randomProfile(radii: 4...10, indices: 0.6...2, &random)
      let psfSigma = conditions.sciencePSF.sigma
      let area = 4 * Double.pi * (profile.effectiveRadius * profile.effectiveRadius * profile.axisRatio + psfSigma * psfSigma)
      let residual = random.uniform(20, 50) * noise * area.squareRoot()
      fluxMismatch = random.sign() * random.uniform(0.04, 0.25)
      if random.chance(0.5) {
        matchedPSF = conditions.sciencePSF.widened(by: 1 + random.sign() * random.uniform(0.05, 0.15))
      }
      addStaticGalaxy(x: position.x, y: position.y, flux: residual / abs(fluxMismatch), profile: profile)
    default:
      variant = "blotches"
      let scale = random.uniform(1.5, 3)
      addBlotches(deviation: noise * random.uniform(0.7, 1.5), scale: scale, &random)
      let blob = PointSpreadFunction.gaussian(fwhm: max(6, 2.3548 * scale * random.uniform(1.2, 1.6)))
      let flux = random.uniform(10, 25) * noise * blob.noiseEquivalentArea.squareRoot() * random.sign()
      differenceOnly.addPointSource(x: position.x, y: position.y, flux: flux, psf: blob)
    }
    return bogusTruth(.noise, variant, position)
  }

  /// White noise blurred by a Gaussian of `scale` px, rescaled to rms `deviation`, into the difference.
  private mutating func addBlotches(deviation: Double, scale: Double, _ random: inout SampleRandom) {
    let radius = Int((3 * scale).rounded(.up))
    let kernel = (-radius...radius).map { Foundation.exp(-Double($0 * $0) / (2 * scale * scale)) }
    let white = (0..<(size * size)).map { _ in random.normal() }
    var rows = [Double](repeating: 0, count: size * size)
    for r in 0..<size {
      for c in 0..<size {
        var sum = 0.0
        for k in -radius...radius where c + k >= 0 && c + k < size { sum += kernel[k + radius] * white[r * size + c + k] }
        rows[r * size + c] = sum
      }
    }
    var blurred = [Double](repeating: 0, count: size * size)
    for r in 0..<size {
      for c in 0..<size {
        var sum = 0.0
        for k in -radius...radius where r + k >= 0 && r + k < size { sum += kernel[k + radius] * rows[(r + k) * size + c] }
        blurred[r * size + c] = sum
      }
    }
    let rms = (blurred.reduce(0) { $0 + $1 * $1 } / Double(blurred.count)).squareRoot()
    guard rms > 0 else { return }
    for i in blurred.indices { differenceOnly.pixels[i] += Float(blurred[i] * deviation / rms) }
  }
}
