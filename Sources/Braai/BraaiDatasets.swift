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

  /// Triplets of the packets in `folder`, labelled by the CSV. Every packet must have a label and every label a
  /// packet: either way round, the error lists the first few candids (a partial folder or a stale labels file
  /// would otherwise train on less than the user thinks).
  static func loadAlerts(folder: String, labelsCSV: String, normalization: TripletNormalization) throws -> LabelledImages {
    let labels = try LabelsCSV.parse(String(contentsOfFile: labelsCSV, encoding: .utf8), source: labelsCSV)
    var triplets: [Float] = [], ys: [Float] = [], ids: [Int64] = []
    var unlabelled: [String] = []
    for file in try AlertScorer.avroFiles(in: [folder]) {
      for alert in try AlertReader.read(path: file) {
        guard let label = labels[alert.candid] else {
          unlabelled.append("\((file as NSString).lastPathComponent) (candid \(alert.candid))")
          continue
        }
        triplets += try Triplet.make(alert, normalization: normalization, size: BraaiModel.cutoutSize)
        ys.append(label)
        ids.append(alert.candid)
      }
    }
    func listed(_ items: [String]) -> String { items.prefix(5).joined(separator: ", ") + (items.count > 5 ? ", ..." : "") }
    if !unlabelled.isEmpty {
      throw NNError.model(
        "\(labelsCSV): \(unlabelled.count) packet(s) in \(folder) have no label: \(listed(unlabelled)); label them or "
          + "move them out of the folder")
    }
    let found = Set(ids)
    let missing = labels.keys.filter { !found.contains($0) }.sorted()
    if !missing.isEmpty {
      throw NNError.model(
        "\(labelsCSV): \(missing.count) labelled candid(s) have no packet in \(folder): \(listed(missing.map(String.init)))")
    }
    let size = BraaiModel.cutoutSize
    return try LabelledImages(
      images: Tensor(shape: [ids.count, size, size, 3], values: triplets), labels: Tensor(shape: [ids.count], values: ys),
      ids: ids, source: labelsCSV)
  }
}
