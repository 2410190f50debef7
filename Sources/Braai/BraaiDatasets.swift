import AstroNN
import AstroTensor
import Foundation
import ZTFAlerts

/// Where braai's training and evaluation data come from.
public enum BraaiDataSource {
  /// braai's files `triplets.<stamp>.npy`, `labels.<stamp>.npy`, `candids.<stamp>.npy` in a folder.
  case npy(folder: String, stamp: String)
  /// An HDF5 file with image and label datasets (and optionally int64 ids).
  case hdf5(path: String, images: String, labels: String, ids: String?)
  /// A folder of ZTF alert packets and a CSV `candid,label`: triplets are built from the packets.
  case alerts(folder: String, labels: String, normalization: TripletNormalization)

  /// Loads the data, checked (counts, labels 0/1, finite values).
  public func load() throws -> LabelledImages {
    switch self {
    case .npy(let folder, let stamp): return try LabelledImages.loadBraaiNpy(folder: folder, stamp: stamp)
    case .hdf5(let path, let images, let labels, let ids):
      return try LabelledImages.loadHDF5(path: path, images: images, labels: labels, ids: ids)
    case .alerts(let folder, let labels, let normalization):
      return try Self.loadAlerts(folder: folder, labelsCSV: labels, normalization: normalization)
    }
  }

  /// Triplets of every packet in `folder` whose candid the CSV labels; errors name the CSV line or packet.
  static func loadAlerts(folder: String, labelsCSV: String, normalization: TripletNormalization) throws -> LabelledImages {
    let text = try String(contentsOfFile: labelsCSV, encoding: .utf8)
    var labels: [Int64: Float] = [:]
    for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
      let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      if number == 0 && fields.first == "candid" { continue }
      guard fields.count >= 2, let candid = Int64(fields[0]), let label = Float(fields[1]), label == 0 || label == 1 else {
        throw NNError.model("\(labelsCSV): line \(number + 1): expected 'candid,label' with label 0 or 1, got '\(line)'")
      }
      labels[candid] = label
    }
    var triplets: [Float] = [], ys: [Float] = [], ids: [Int64] = []
    for file in try AlertScorer.avroFiles(in: [folder]) {
      for alert in try AlertReader.read(path: file) {
        guard let label = labels[alert.candid] else { continue }
        triplets += try Triplet.make(alert, normalization: normalization, size: BraaiModel.cutoutSize)
        ys.append(label)
        ids.append(alert.candid)
      }
    }
    guard !ids.isEmpty else { throw NNError.model("\(labelsCSV): no packet in \(folder) has a labelled candid") }
    let size = BraaiModel.cutoutSize
    return try LabelledImages(
      images: Tensor(shape: [ids.count, size, size, 3], values: triplets), labels: Tensor(shape: [ids.count], values: ys),
      ids: ids, source: labelsCSV)
  }
}
