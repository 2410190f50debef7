import Foundation
import _CHDF5

// Plumbing shared by the HDF5File extensions: the process-wide lock, library-message capture and
// path helpers. Nothing here is public.

/// Debian's libhdf5 is the serial (non-thread-safe) build, so every call into the library must be
/// serialised process-wide. Recursive because public methods call each other while holding it.
private let hdf5Mutex = NSRecursiveLock()

/// Runs `body` holding the process-wide HDF5 lock, with HDF5's automatic error printing turned off
/// (the setting lives in the library's error stack, which is per thread in thread-safe builds, so it
/// is cheap insurance to repeat it on every entry).
@inline(__always)
func withHDF5Lock<T>(_ body: () throws -> T) rethrows -> T {
  hdf5Mutex.lock()
  defer { hdf5Mutex.unlock() }
  _ = H5Eset_auto2(shim_e_default(), nil, nil)
  return try body()
}

/// The innermost message of HDF5's current error stack (e.g. "truncated file: eof = 10240, ..."),
/// or nil. Call right after a failed library call, holding the lock; the stack is cleared afterwards.
func hdf5LibraryMessage() -> String? {
  final class Box { var message: String? }
  let box = Box()
  let walker: H5E_walk2_t = { _, error, clientData in
    guard let error, let clientData else { return 0 }
    let box = Unmanaged<Box>.fromOpaque(clientData).takeUnretainedValue()
    // Upward walk starts at the innermost frame, where the cause is described; keep only that.
    if box.message == nil, let desc = error.pointee.desc {
      let text = String(cString: desc).trimmingCharacters(in: .whitespaces)
      if !text.isEmpty { box.message = text }
    }
    return 0
  }
  withExtendedLifetime(box) {
    _ = H5Ewalk2(shim_e_default(), H5E_WALK_UPWARD, walker, Unmanaged.passUnretained(box).toOpaque())
  }
  _ = H5Eclear2(shim_e_default())
  return box.message
}

/// Path helpers: HDF5 paths are absolute, '/'-separated; "" and "/" both mean the root group.
enum HDF5Path {
  static func components(_ path: String) -> [String] {
    path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
  }

  static func normalize(_ path: String) -> String {
    "/" + components(path).joined(separator: "/")
  }

  static func parent(_ path: String) -> String {
    normalize(components(path).dropLast().joined(separator: "/"))
  }
}

/// Product of a shape's extents, or nil when an extent is negative or the product overflows Int.
func elementCount(_ shape: [Int]) -> Int? {
  var count = 1
  for extent in shape {
    guard extent >= 0 else { return nil }
    let (product, overflow) = count.multipliedReportingOverflow(by: extent)
    guard !overflow else { return nil }
    count = product
  }
  return count
}
