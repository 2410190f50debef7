import AstroIO
import AstroTensor

extension Tensor {
  /// A tensor from a `.npy` array of any numeric dtype (converted to float32; float32 data is copied once,
  /// straight into the tensor's storage).
  public convenience init(npy: NpyArray) throws {
    self.init(uninitializedShape: npy.shape)
    if npy.dtype == .float32 {
      npy.data.withUnsafeBytes { raw in
        // .npy float32 is little-endian, as this machine is (NpyArray refuses big-endian files).
        UnsafeMutableRawPointer(storage.pointer).copyMemory(from: raw.baseAddress!, byteCount: count * 4)
      }
    } else {
      let values = npy.floats()
      values.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: values.count) }
    }
  }

  /// Reads a `.npy` file into a float32 tensor.
  public static func load(npy path: String) throws -> Tensor {
    try Tensor(npy: NpyArray.read(path: path))
  }

  /// This tensor as a float32 `.npy` array.
  public func npyArray() throws -> NpyArray { try NpyArray(shape: shape, floats: values) }
}
