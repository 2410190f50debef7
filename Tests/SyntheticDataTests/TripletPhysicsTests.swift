import SyntheticData
import XCTest

/// The cutouts show what their kind claims, measured on the raw (un-normalised) pixels.
final class TripletPhysicsTests: XCTestCase {
  private func generator(real: [TripletKind: Double]? = nil, bogus: [TripletKind: Double]? = nil) throws -> ZTFTripletGenerator {
    var configuration = ZTFTripletConfiguration()
    if let real {
      configuration.realFraction = 1
      configuration.realMix = real
    }
    if let bogus {
      configuration.realFraction = 0
      configuration.bogusMix = bogus
    }
    configuration.offChipFraction = 0 // measure on complete cutouts
    return try ZTFTripletGenerator(configuration: configuration)
  }

  /// Least-squares amplitude of `model` in `data` over `pixels`, and the residual sum of squares.
  private func fit(_ model: Raster, _ data: Channel, _ pixels: [(row: Int, column: Int)]) -> (amplitude: Double, residual: Double) {
    var pd = 0.0, pp = 0.0
    for (r, c) in pixels {
      let p = Double(model[r, c])
      pd += p * data[r, c]
      pp += p * p
    }
    let amplitude = pd / pp
    let residual = pixels.reduce(0.0) { sum, pixel in
      let d = data[pixel.row, pixel.column] - amplitude * Double(model[pixel.row, pixel.column])
      return sum + d * d
    }
    return (amplitude, residual)
  }

  func testRealsHaveAPointSourceOfTheRightSignFluxAndWidthNearTheCentre() throws {
    let generator = try generator(real: [.psf: 1, .psfOnHost: 1, .variableStar: 1, .fading: 1])
    var fadingSeen = 0, widthChecks = 0
    for index in 0..<300 {
      let (triplet, truth) = generator.sample(index: index, seed: 31)
      let template = Channel(triplet[...], size: 63, channel: 1)
      let difference = Channel(triplet[...], size: 63, channel: 2)
      let psf = truth.conditions.sciencePSF
      let sign = truth.differenceSign
      let label = "\(truth.kind.rawValue)/\(truth.variant) #\(index) snr \(truth.snr)"
      XCTAssertEqual(sign, truth.kind == .fading ? -1 : 1)
      if truth.kind == .fading { fadingSeen += 1 }
      // Near the centre: the jitter is 0.6 px rms, capped at 1.8 px.
      XCTAssertLessThanOrEqual(max(abs(truth.x - 31), abs(truth.y - 31)), 1.8 + 1e-9)

      let pixels = difference.disc(x: truth.x, y: truth.y, radius: max(3 * psf.fwhm, 5))
      func model(_ psf: PointSpreadFunction) -> Raster {
        var raster = Raster(width: 63, height: 63)
        raster.addPointSource(x: truth.x, y: truth.y, flux: 1, psf: psf)
        return raster
      }
      let flux = truth.conditions.flux(forDifferenceSNR: truth.snr)
      let (amplitude, residual) = fit(model(psf), difference, pixels)
      // Light under the source in the template (a host, or the quiescent star), in science counts: a few
      // per cent of it survive an imperfect subtraction.
      let templateMedian = template.median
      let templateBackground = Channel(size: 63, values: template.values.map { $0 - templateMedian })
      let underneath = abs(fit(model(truth.conditions.templatePSF), templateBackground, pixels).amplitude)
        / truth.conditions.templateScale
      // The fitted PSF flux is the injected one, within 5 sigma of its noise (flux / snr) plus 10% and the
      // subtraction residual of what lies underneath.
      XCTAssertEqual(amplitude, sign * flux, accuracy: 5 * flux / truth.snr + 0.1 * flux + 0.05 * underneath, label)

      if truth.snr >= 20 && underneath < flux {
        // Shaped like the PSF: it fits better than a PSF 1.6x narrower or wider.
        widthChecks += 1
        XCTAssertLessThan(residual, fit(model(psf.widened(by: 1.6)), difference, pixels).residual, label)
        XCTAssertLessThan(residual, fit(model(psf.widened(by: 1 / 1.6)), difference, pixels).residual, label)
        // And the brightest (sign-corrected, 3x3-smoothed) spot within 5 px of the centre is the source.
        var best = (value: -Double.infinity, row: 0, column: 0)
        for (r, c) in difference.disc(x: 31, y: 31, radius: 5) {
          let value = sign * difference.boxMean(row: r, column: c)
          if value > best.value { best = (value, r, c) }
        }
        let distance = (pow(Double(best.column) - truth.x, 2) + pow(Double(best.row) - truth.y, 2)).squareRoot()
        XCTAssertLessThanOrEqual(distance, 1.5, "\(label): peak at (\(best.row), \(best.column))")
      }
    }
    XCTAssertGreaterThan(fadingSeen, 30)
    XCTAssertGreaterThan(widthChecks, 50)
  }

  func testCosmicRaysAreInScienceAndDifferenceButNotInTheTemplate() throws {
    let generator = try generator(bogus: [.cosmicRay: 1])
    var isolated = 0
    for index in 0..<150 {
      let (triplet, truth) = generator.sample(index: index, seed: 32)
      let science = Channel(triplet[...], size: 63, channel: 0)
      let template = Channel(triplet[...], size: 63, channel: 1)
      let difference = Channel(triplet[...], size: 63, channel: 2)
      let label = "#\(index) \(truth.variant)"
      // The hit's brightest pixel in the difference (where a galaxy underneath has been subtracted; a track's
      // energy varies along it), and how far a channel stands there above the median of the 5x5 around it.
      let hit = difference.disc(x: truth.x, y: truth.y, radius: 1.5)
        .max { difference[$0.row, $0.column] < difference[$1.row, $1.column] }!
      func spike(_ channel: Channel) -> Double {
        var around: [Double] = []
        for r in (hit.row - 2)...(hit.row + 2) {
          for c in (hit.column - 2)...(hit.column + 2) where r >= 0 && r < 63 && c >= 0 && c < 63 { around.append(channel[r, c]) }
        }
        return channel[hit.row, hit.column] - around.sorted()[around.count / 2]
      }
      let differenceSpike = spike(difference), scienceSpike = spike(science)
      // Peaks are >= 8 sky sigmas; the brightest pixel of a track holds 40-100% of that.
      XCTAssertGreaterThan(differenceSpike, 2.5 * difference.robustSigma, label)
      if !truth.variant.hasSuffix("_on_galaxy") {
        isolated += 1
        // It is in the science image...
        XCTAssertGreaterThan(scienceSpike, 0.7 * differenceSpike, label)
        // ...but has no counterpart in the template (in science units), beyond its noise...
        let scale = truth.conditions.templateScale
        XCTAssertLessThan(spike(template) / scale, 5 * template.robustSigma / scale, label)
        // ...so the difference keeps what the science has: the subtraction removed none of it.
        XCTAssertGreaterThan(differenceSpike, 0.7 * scienceSpike, label)
      }
    }
    XCTAssertGreaterThan(isolated, 80)
  }

  func testDipolesHavePositiveAndNegativeLobes() throws {
    let generator = try generator(bogus: [.dipole: 1])
    var bothSigns = 0
    let count = 150
    for index in 0..<count {
      let (triplet, truth) = generator.sample(index: index, seed: 33)
      let difference = Channel(triplet[...], size: 63, channel: 2)
      XCTAssertGreaterThan(truth.shift, 0.07)
      XCTAssertLessThan(truth.shift, 1.21)
      // PSF-matched-filter values within 1.5 FWHM (plus the shift) of the star, in units of the noise.
      let psf = truth.conditions.sciencePSF
      let sigma = difference.robustSigma
      let filtered = difference.disc(x: truth.x, y: truth.y, radius: 1.5 * psf.fwhm + truth.shift)
        .map { difference.matchedFilter(row: $0.row, column: $0.column, sigma: psf.sigma) / sigma }
      let positive = filtered.max()! > 3, negative = filtered.min()! < -3
      if positive && negative { bothSigns += 1 }
      if truth.snr >= 20 { XCTAssertTrue(positive && negative, "#\(index) dipole snr \(truth.snr) shift \(truth.shift)") }
    }
    XCTAssertGreaterThanOrEqual(bothSigns, count * 9 / 10)
  }

  func testSaturatedStarsAreFlatToppedInScienceAndTemplate() throws {
    let generator = try generator(bogus: [.saturatedStar: 1])
    for index in 0..<40 {
      let (triplet, truth) = generator.sample(index: index, seed: 34)
      let science = Channel(triplet[...], size: 63, channel: 0)
      let template = Channel(triplet[...], size: 63, channel: 1)
      let saturation = truth.conditions.scienceSaturation
      let plateau = science.values.filter { $0 == saturation }.count
      XCTAssertGreaterThanOrEqual(plateau, 3, "#\(index): several pixels clipped at saturation")
      XCTAssertEqual(science.values.max()!, saturation)
      let templateCeiling = truth.conditions.templateSaturation * truth.conditions.templateScale
      XCTAssertEqual(template.values.max()!, templateCeiling, accuracy: templateCeiling * 1e-6)
    }
  }

  func testHotPixelsAndBadColumnsAreSharperThanAnyPSF() throws {
    let generator = try generator(bogus: [.hotPixel: 1])
    var columns = 0
    for index in 0..<80 {
      let (triplet, truth) = generator.sample(index: index, seed: 35)
      let difference = Channel(triplet[...], size: 63, channel: 2)
      let row = Int(truth.y), column = Int(truth.x)
      let sign: Double = truth.variant == "template_hot_pixel" ? -1 : 1
      if truth.variant == "bad_column" {
        columns += 1
        // The column stands above both neighbours over the rows it covers, and stays out of the template.
        let lifted = difference[row, column] - 0.5 * (difference[row, column - 1] + difference[row, column + 1])
        XCTAssertGreaterThan(lifted, 0, "#\(index)")
      } else {
        let neighbours = [(0, 1), (0, -1), (1, 0), (-1, 0)].map { difference[row + $0.0, column + $0.1] }
        XCTAssertGreaterThan(sign * difference[row, column], 5 * difference.robustSigma, "#\(index)")
        // At least one direct neighbour keeps under 60% of the peak: no seeing-blurred star does that.
        XCTAssertLessThan(neighbours.map { sign * $0 }.min()!, 0.6 * sign * difference[row, column], "#\(index)")
      }
    }
    XCTAssertGreaterThan(columns, 10)
  }

  func testNoSingleDifferencePeakStatisticSeparatesTheClasses() throws {
    let generator = try ZTFTripletGenerator()
    let n = 2000
    let output = try generator.generate(count: n, seed: 36)
    var peaks: [Double] = [], absolutePeaks: [Double] = []
    for sample in 0..<n {
      let difference = Channel(output.triplets[(sample * 11907)..<((sample + 1) * 11907)], size: 63, channel: 2)
      let central = difference.disc(x: 31, y: 31, radius: 3).map { difference[$0.row, $0.column] }
      peaks.append(central.max()!)
      absolutePeaks.append(central.map(abs).max()!)
    }
    let accuracy = bestThresholdAccuracy(peaks, output.labels)
    let absoluteAccuracy = bestThresholdAccuracy(absolutePeaks, output.labels)
    print(String(format: "best single-threshold accuracy: central difference peak %.3f, |peak| %.3f (majority class %.3f)",
                 accuracy, absoluteAccuracy, Double(output.labels.filter { $0 == 1 }.count) / Double(n)))
    XCTAssertLessThan(accuracy, 0.99)
    XCTAssertLessThan(absoluteAccuracy, 0.99)
  }
}
