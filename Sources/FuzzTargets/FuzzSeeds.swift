import AstroIO
import AstroNN
import AstroONNX
import AstroQuantization
import AstroTFLite
import AstroTensor
import Foundation
import ZTFAlerts

/// Small, valid seed inputs for the targets whose real files are too big to mutate quickly (a braai weights file
/// is 3.8 MB; these are a few KB): `astro-fuzz seeds` writes them under `Fuzz/Corpus/<target>/`. Alert packets,
/// manifests and the regression inputs are read from the repository as they are.
public enum FuzzSeeds {
  /// Writes the generated seeds of every target into `root/<target>/`; `packet` is a real ZTF packet, from which
  /// the gzip and FITS seeds are cut.
  public static func write(into root: String, packet: String) throws {
    func put(_ target: String, _ name: String, _ bytes: Data) throws {
      let folder = (root as NSString).appendingPathComponent(target)
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      try AtomicFile.write([bytes], to: (folder as NSString).appendingPathComponent(name))
    }
    func fileBytes(_ write: (String) throws -> Void) throws -> Data {
      let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("astro-fuzz-seed-\(getpid()).h5")
      defer { try? FileManager.default.removeItem(atPath: path) }
      try write(path)
      return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    let model = try FuzzModels.small()
    try put("h5-weights", "small.weights.h5", try fileBytes { try model.saveKerasWeights(to: $0) })
    try put("h5-model", "small.model.h5", try fileBytes { try model.saveKeras(to: $0) })
    try put("model-config", "small.json", Data(model.kerasJSON().text.utf8))
    try put("onnx", "small.onnx", Data(try ONNXExporter.export(model).encoded()))
    let calibration = try Tensor(shape: [4, 8, 8, 1], values: (0..<256).map { Float($0 % 17) / 17 })
    let quantized = try PostTrainingQuantization.quantize(model, calibration: [calibration])
    try put("tflite", "small.tflite", Data(try TFLiteWriter.encode(quantized.graph)))
    try put("npy", "small.f4.npy", try NpyArray(shape: [2, 3], floats: [0, 1, 2, .nan, -1, 5]).encoded())
    try put("npy", "small.i8.npy", try NpyArray(shape: [4], int64s: [1, 2, 3, 4]).encoded())
    try put("label-request", "new-project.bin", Data([0]) + Data(#"{"name": "rb2", "classes": ["real", "bogus"], "labels_per_item": 2}"#.utf8))
    try put("label-request", "new-label.bin", Data([1]) + Data(#"{"labels": ["real"], "seconds": 2.5, "unsure": false}"#.utf8))
    try put("labels-csv", "labels.csv", Data("candid,label\n1127495406315015005,1\n975188146115015008,0\n".utf8))

    guard let stamp = try AlertReader.read(path: packet).first?.cutoutScience?.stampData else {
      throw AlertError(source: packet, reason: "no alert with a science cutout")
    }
    try put("gzip", "science.fits.gz", stamp)
    try put("fits", "science.fits", try Gzip.decompress(stamp))
  }

}
