import Foundation

/// The sky and detector content of one triplet before noise: what the science exposure saw, what the
/// template saw, and what image subtraction removes (the template as matched to the science PSF).
///
/// Painters add sources through `addStaticStar`/`addStaticGalaxy` (present at both epochs: they cancel in the
/// difference up to the scene's subtraction imperfections) or directly into one epoch's raster (transients,
/// cosmic rays, hot pixels). `compose` then adds sky, Poisson-like noise and saturation and forms the three
/// channels: science, template, difference = science - sky - matched template.
struct TripletScene {
  let size: Int
  var conditions: ObservingConditions
  /// Science-epoch signal above the sky, through the science PSF (detector artifacts included).
  var science: Raster
  /// Template-epoch signal above its sky, through the template PSF, in science counts.
  var template: Raster
  /// The template as the subtraction sees it after PSF matching: template-epoch signal through `matchedPSF`.
  var matchedTemplate: Raster
  /// Structure that exists only in the difference image (edge ringing, correlated kernel noise).
  var differenceOnly: Raster
  /// The PSF the matching kernel achieved: the science PSF up to a small width error (rings around stars).
  var matchedPSF: PointSpreadFunction
  /// Residual astrometric misalignment of the template, pixels (dipoles around every static source).
  var templateShift: (x: Double, y: Double)
  /// Residual photometric mismatch: the matched template is scaled by 1 + this (halo residuals).
  var fluxMismatch: Double
  /// Pixels off the CCD in the science exposure and hence in the difference.
  var offChip: OffChipRegion?
  /// Pixels off the CCD in the template (often, but not always, the same as the science's).
  var templateOffChip: OffChipRegion?

  init(size: Int, conditions: ObservingConditions, random: inout SampleRandom) {
    self.size = size
    self.conditions = conditions
    science = Raster(width: size, height: size)
    template = science
    matchedTemplate = science
    differenceOnly = science
    // Every subtraction is a little imperfect; the dipole and saturated-star painters make it worse.
    matchedPSF = conditions.sciencePSF.widened(by: 1 + 0.01 * random.normal())
    templateShift = (0.02 * random.normal(), 0.02 * random.normal())
    fluxMismatch = 0.005 * random.normal()
  }

  /// The cutout centre (the nominal candidate position).
  var centre: Double { Double(size / 2) }

  /// The candidate position: the centre plus a Gaussian jitter of `deviation` px capped at 3 sigma.
  func jitteredCentre(_ deviation: Double, _ random: inout SampleRandom) -> (x: Double, y: Double) {
    func offset() -> Double { min(max(deviation * random.normal(), -3 * deviation), 3 * deviation) }
    return (centre + offset(), centre + offset())
  }

  /// A star present at both epochs: `scienceFlux` now, `templateFlux` in the template.
  mutating func addStar(x: Double, y: Double, scienceFlux: Double, templateFlux: Double) {
    science.addPointSource(x: x, y: y, flux: scienceFlux, psf: conditions.sciencePSF)
    template.addPointSource(x: x, y: y, flux: templateFlux, psf: conditions.templatePSF)
    matchedTemplate.addPointSource(
      x: x + templateShift.x, y: y + templateShift.y, flux: templateFlux * (1 + fluxMismatch), psf: matchedPSF)
  }

  /// A galaxy of constant brightness: cancels in the difference up to the scene's imperfections.
  mutating func addStaticGalaxy(x: Double, y: Double, flux: Double, profile: SersicProfile) {
    science.addGalaxy(x: x, y: y, flux: flux, profile: profile, psf: conditions.sciencePSF)
    template.addGalaxy(x: x, y: y, flux: flux, profile: profile, psf: conditions.templatePSF)
    matchedTemplate.addGalaxy(
      x: x + templateShift.x, y: y + templateShift.y, flux: flux * (1 + fluxMismatch), profile: profile, psf: matchedPSF)
  }

  /// 0-3 unrelated constant stars away from the centre, so that template content and extra sources are
  /// no clue to the class.
  mutating func addFieldStars(_ random: inout SampleRandom) {
    let count = random.weightedIndex([0.35, 0.35, 0.2, 0.1])
    let sigma = conditions.scienceSigma(signal: 0)
    for _ in 0..<count {
      var x = 0.0, y = 0.0
      repeat {
        x = random.uniform(0, Double(size - 1))
        y = random.uniform(0, Double(size - 1))
      } while abs(x - centre) < 7 && abs(y - centre) < 7
      let flux = random.logUniform(10...600) * sigma * conditions.sciencePSF.noiseEquivalentArea.squareRoot()
      addStar(x: x, y: y, scienceFlux: flux, templateFlux: flux)
    }
  }

  /// A random host-galaxy-like profile with half-light radius in `radii` pixels and Sérsic index in `indices`.
  static func randomProfile(radii: ClosedRange<Double>, indices: ClosedRange<Double> = 0.6...4,
                            _ random: inout SampleRandom) -> SersicProfile {
    SersicProfile(
      effectiveRadius: random.logUniform(radii), index: random.uniform(indices),
      axisRatio: random.uniform(0.3, 1), angle: random.uniform(0, Double.pi))
  }

  /// Galaxy flux whose mean surface brightness inside r_e is `contrast` times the science sky noise.
  func galaxyFlux(profile: SersicProfile, contrast: Double) -> Double {
    let area = Double.pi * profile.effectiveRadius * profile.effectiveRadius * profile.axisRatio
    return 2 * contrast * conditions.scienceSigma(signal: 0) * max(area, 1)
  }

  /// Writes the raw triplet, HWC (`size * size * 3` floats): channel 0 science counts (sky included),
  /// 1 template (its own sky and zero point), 2 difference (science - sky - matched template). Off-chip
  /// pixels are NaN. Noise is Gaussian with Poisson variance (signal + sky) / gain plus read noise.
  func compose(into out: UnsafeMutableBufferPointer<Float>, _ random: inout SampleRandom) {
    let c = conditions
    let templateCeiling = c.templateSaturation - c.templateBackground
    for row in 0..<size {
      for column in 0..<size {
        let i = row * size + column
        let scienceSignal = Double(science.pixels[i])
        var scienceValue = c.scienceBackground + scienceSignal + c.scienceSigma(signal: scienceSignal) * random.normal()
        scienceValue = min(scienceValue, c.scienceSaturation)
        let templateSignal = Double(template.pixels[i])
        let templateNoise = c.templateSigma(signal: templateSignal) * random.normal()
        let templateValue = min(c.templateBackground + templateSignal + templateNoise, c.templateSaturation)
        let matched = min(Double(matchedTemplate.pixels[i]), templateCeiling) + templateNoise
        let difference = scienceValue - c.scienceBackground - matched + Double(differenceOnly.pixels[i])

        let scienceOff = offChip?.contains(row: row, column: column, size: size) ?? false
        let templateOff = templateOffChip?.contains(row: row, column: column, size: size) ?? false
        out[i * 3] = scienceOff ? .nan : Float(scienceValue)
        out[i * 3 + 1] = templateOff ? .nan : Float(templateValue * c.templateScale)
        out[i * 3 + 2] = scienceOff ? .nan : Float(difference)
      }
    }
  }
}
