import ArgumentParser
import AstroIO

/// `--isolate-h5`, for model files from outside: libhdf5 (C) reads the file first in a child process
/// (`astro-h5check`), so a malformed file that crashes it gives an error instead of ending this process.
struct IsolationOption: ParsableArguments {
  @Flag(help: "Read .h5 model files in a child process (astro-h5check) first: one that crashes libhdf5 gives an error instead.")
  var isolateH5 = false

  func check(_ paths: String...) throws {
    if isolateH5 { try HDF5Isolation.checkFiles(paths) }
  }
}
