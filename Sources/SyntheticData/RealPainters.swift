import Foundation

/// Paints the real kinds: a point source at (near) the centre whose flux gives a PSF-fit SNR in
/// `ZTFTripletConfiguration.snrRange`, drawn log-uniformly (half of all reals below SNR ~22, one in eight
/// below SNR 7: the hard faint end).
extension TripletScene {
  mutating func paintReal(_ kind: TripletKind, _ configuration: ZTFTripletConfiguration,
                          _ random: inout SampleRandom) -> TripletTruth {
    addFieldStars(&random)
    let position = jitteredCentre(configuration.centreJitter, &random)
    let snr = random.logUniform(configuration.snrRange)
    let flux = conditions.flux(forDifferenceSNR: snr)
    var sign = 1.0
    var variant = ""
    switch kind {
    case .psf:
      science.addPointSource(x: position.x, y: position.y, flux: flux, psf: conditions.sciencePSF)
    case .psfOnHost:
      variant = paintHost(around: position, &random) ? "nuclear" : "offset"
      science.addPointSource(x: position.x, y: position.y, flux: flux, psf: conditions.sciencePSF)
    case .variableStar:
      // The quiescent star is as bright as the change or up to 30x brighter: variable stars range from
      // outbursting faint dwarfs to bright stars with small amplitudes.
      let quiescent = flux * random.logUniform(1...30)
      addStar(x: position.x, y: position.y, scienceFlux: quiescent + flux, templateFlux: quiescent)
    case .fading:
      // Fainter now than in the template. A third had vanished altogether (a supernova in the reference
      // that has faded); others are variable stars near minimum, some on a host.
      sign = -1
      let vanished = random.chance(1.0 / 3)
      let remaining = vanished ? 0 : flux * random.logUniform(0.3...20)
      variant = vanished ? "vanished" : "dimmer"
      if random.chance(0.3) {
        _ = paintHost(around: position, &random)
        variant += "_on_host"
      }
      addStar(x: position.x, y: position.y, scienceFlux: remaining, templateFlux: remaining + flux)
    default:
      preconditionFailure("paintReal: \(kind) is not a real kind")
    }
    return TripletTruth(
      kind: kind, variant: variant, x: position.x, y: position.y, differenceSign: sign, snr: snr, shift: 0,
      conditions: conditions, offChip: nil)
  }

  /// A host galaxy with the transient anywhere from its nucleus (a fifth exactly nuclear) to ~1.5 r_e out;
  /// its surface brightness ranges from barely visible to many times the sky noise. Returns whether it is nuclear.
  private mutating func paintHost(around position: (x: Double, y: Double), _ random: inout SampleRandom) -> Bool {
    let profile = Self.randomProfile(radii: 1.5...9, &random)
    let nuclear = random.chance(0.2)
    let distance = nuclear ? random.uniform(0, 0.3) : profile.effectiveRadius * random.uniform(0.1, 1.5)
    let angle = random.uniform(0, 2 * Double.pi)
    let flux = galaxyFlux(profile: profile, contrast: random.logUniform(0.5...40))
    addStaticGalaxy(
      x: position.x + distance * Foundation.cos(angle), y: position.y + distance * Foundation.sin(angle),
      flux: flux, profile: profile)
    return nuclear
  }
}
