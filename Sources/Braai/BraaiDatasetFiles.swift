import AstroIO
import AstroNN
import AstroTensor
import Foundation

extension LabelledImages {
  /// braai's dataset files in `folder`: `triplets.<stamp>.npy` `(N, 63, 63, 3)`, `labels.<stamp>.npy` `(N,)`
  /// and, when present, `candids.<stamp>.npy` `(N,)` int64. Errors name the file at fault.
  public static func loadBraaiNpy(folder: String, stamp: String) throws -> LabelledImages {
    func path(_ name: String) -> String { (folder as NSString).appendingPathComponent("\(name).\(stamp).npy") }
    let images = try Tensor.load(npy: path("triplets"))
    guard images.rank == 4 else {
      throw NNError.model("\(path("triplets")): shape \(images.shape), expected (N, H, W, C)")
    }
    let labels = try Tensor.load(npy: path("labels"))
    let candidPath = path("candids")
    let ids = FileManager.default.fileExists(atPath: candidPath) ? try NpyArray.read(path: candidPath).int64s() : nil
    return try LabelledImages(images: images, labels: labels, ids: ids, source: path("labels"), imagesSource: path("triplets"))
  }

  /// Images and labels from two datasets of an HDF5 file (e.g. `x` `(N, H, W, C)` and `y` `(N,)`), with
  /// optional int64 ids.
  public static func loadHDF5(path: String, images: String = "x", labels: String = "y", ids: String? = nil) throws -> LabelledImages {
    let file = try HDF5File(path: path, mode: .readOnly)
    let (shape, values) = try file.readFloats(images)
    guard shape.count >= 2 else { throw NNError.model("\(path): dataset \(images) has shape \(shape), expected (N, H, W, C)") }
    let x = try Tensor(shape: shape.count == 3 ? shape + [1] : shape, values: values)
    let (labelShape, labelValues) = try file.readFloats(labels)
    let y = try Tensor(shape: [labelValues.count], values: labelValues)
    guard labelShape.reduce(1, *) == labelValues.count else { throw NNError.model("\(path): bad label dataset \(labels)") }
    let idValues = try ids.map { try file.readInt64s($0).values }
    return try LabelledImages(images: x, labels: y, ids: idValues, source: "\(path):\(labels)")
  }

  /// Writes braai's three files (`triplets`, `labels` as float32, `candids` as int64) with `stamp`.
  public func saveBraaiNpy(folder: String, stamp: String) throws {
    func path(_ name: String) -> String { (folder as NSString).appendingPathComponent("\(name).\(stamp).npy") }
    try images.npyArray().write(to: path("triplets"))
    try labels.npyArray().write(to: path("labels"))
    try NpyArray(shape: [count], int64s: ids).write(to: path("candids"))
  }
}
