/// How generated cutouts are delivered.
public enum CutoutNormalization: String, Sendable, CaseIterable {
  /// braai's preprocessing (d6_m7 training data): each cutout NaN -> 0, then every image row scaled to unit
  /// L2 norm as `tf.keras.utils.normalize(cutout)` does on a 2-D array (last axis); all-zero rows stay zero.
  case row
  /// Detector counts as generated: background, sources, noise, and NaN where a cutout runs off the CCD.
  case raw
}

/// braai's per-row L2 normalisation of cutouts (see `CutoutNormalization.row`).
public enum RowNormalization {
  /// Applies `CutoutNormalization.row` in place to one HWC image of `height` x `width` x `channels` floats:
  /// each channel separately, NaN -> 0, then each row divided by its L2 norm (computed in Double; rows with
  /// zero norm are left as zeros, as Keras does by dividing them by 1).
  public static func apply(_ image: UnsafeMutableBufferPointer<Float>, height: Int, width: Int, channels: Int) {
    precondition(image.count == height * width * channels, "RowNormalization: buffer does not match the shape")
    for channel in 0..<channels {
      for row in 0..<height {
        let start = row * width * channels + channel
        var sum = 0.0
        for column in 0..<width {
          let index = start + column * channels
          let value = image[index]
          if value.isNaN {
            image[index] = 0
          } else {
            sum += Double(value) * Double(value)
          }
        }
        guard sum > 0 else { continue }
        let inverse = 1 / sum.squareRoot()
        for column in 0..<width {
          let index = start + column * channels
          image[index] = Float(Double(image[index]) * inverse)
        }
      }
    }
  }
}
