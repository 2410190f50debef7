/// The images of the evaluated samples, one per score, stored back to back as height x width x channels
/// floats (NHWC, as a braai triplet tensor's values: 63x63x3 science, reference, difference), for showing the
/// misclassified ones.
public struct SampleImages: Sendable {
  /// Image width in pixels.
  public let width: Int
  /// Image height in pixels.
  public let height: Int
  /// Channels per pixel (3 for a braai triplet).
  public let channels: Int
  /// `count * height * width * channels` values.
  public let values: [Float]
  /// Optional titles of the channels, drawn above the first row of a grid.
  public let channelNames: [String]

  /// - Throws: `EvaluationError.invalidArgument` for a non-positive size; `.lengthMismatch` when `values` is not
  ///   a whole number of images, or the channel names do not match the channel count.
  public init(
    values: [Float], width: Int = 63, height: Int = 63, channels: Int = 3,
    channelNames: [String] = ["science", "reference", "difference"]
  ) throws {
    guard width > 0, height > 0, channels > 0 else {
      throw EvaluationError.invalidArgument("image size \(height)x\(width)x\(channels)")
    }
    let size = width * height * channels
    guard values.count % size == 0 else {
      throw EvaluationError.lengthMismatch("\(values.count) values is not a whole number of \(height)x\(width)x\(channels) images")
    }
    guard channelNames.isEmpty || channelNames.count == channels else {
      throw EvaluationError.lengthMismatch("\(channelNames.count) channel names for \(channels) channels")
    }
    self.width = width
    self.height = height
    self.channels = channels
    self.values = values
    self.channelNames = channelNames
  }

  /// Number of images.
  public var count: Int { values.count / (width * height * channels) }

  /// The HWC values of image `index`.
  public func image(at index: Int) -> ArraySlice<Float> {
    let size = width * height * channels
    return values[(index * size)..<((index + 1) * size)]
  }
}
