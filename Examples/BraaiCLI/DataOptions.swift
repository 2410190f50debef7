import ArgumentParser
import Foundation
import Braai
import ZTFAlerts

/// Where labelled triplets come from: braai's .npy files, an HDF5 file, or alert packets with a labels CSV.
struct DataOptions: ParsableArguments {
  @Option(help: "Folder with braai's triplets.<stamp>.npy, labels.<stamp>.npy, candids.<stamp>.npy.")
  var npy: String?
  @Option(help: "Dataset stamp of the .npy files.")
  var stamp: String?
  @Option(help: "HDF5 file with image and label datasets.")
  var hdf5: String?
  @Option(help: "HDF5 dataset names: images, labels.")
  var hdf5Images = "x"
  @Option var hdf5Labels = "y"
  @Option(help: "Folder of ZTF alert packets (with --labels).")
  var alerts: String?
  @Option(help: "CSV 'candid,label' for --alerts.")
  var labels: String?
  @Option(help: "Cutout normalisation for --alerts: row (d6_m7) or global.")
  var norm: TripletNormalization = .row

  var source: BraaiDataSource {
    get throws {
      switch (npy, hdf5, alerts) {
      case (let folder?, nil, nil):
        guard let stamp else { throw ValidationError("--npy needs --stamp") }
        return .npy(folder: folder, stamp: stamp)
      case (nil, let path?, nil): return .hdf5(path: path, images: hdf5Images, labels: hdf5Labels, ids: nil)
      case (nil, nil, let folder?):
        guard let labels else { throw ValidationError("--alerts needs --labels FILE.csv") }
        return .alerts(folder: folder, labels: labels, normalization: norm)
      default: throw ValidationError("give exactly one data source: --npy DIR --stamp S, --hdf5 FILE, or --alerts DIR --labels CSV")
      }
    }
  }

  var stampName: String { stamp ?? "dataset" }

  /// The file the images come from, for errors about them.
  var imagesFile: String {
    if let npy, let stamp { return (npy as NSString).appendingPathComponent("triplets.\(stamp).npy") }
    return hdf5.map { "\($0):\(hdf5Images)" } ?? alerts ?? "the data"
  }
}
