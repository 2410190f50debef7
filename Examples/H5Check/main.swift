// `astro-h5check FILE`: reads a whole HDF5 file (every group, dataset and Keras attribute) and exits 0 when it is
// readable, 1 with the error on standard error when it is not. Run by `HDF5Isolation.check` as a child process, so
// that a malformed file which crashes libhdf5 kills this process instead of the caller.
import AstroIO
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 1, let path = arguments.first else {
  FileHandle.standardError.write(Data("usage: astro-h5check FILE.h5\n".utf8))
  exit(2)
}
do {
  try HDF5File(path: path, mode: .readOnly).readEverything()
} catch {
  FileHandle.standardError.write(Data("\(error)\n".utf8))
  exit(1)
}
