import AstroIO
import AstroTensor

extension Tensor {
  /// A tensor from a `.npy` array of any numeric dtype (converted to float32).
  public convenience init(npy: NpyArray) throws {
    try self.init(shape: npy.shape, values: npy.floats())
  }

  /// Reads a `.npy` file into a float32 tensor.
  public static func load(npy path: String) throws -> Tensor {
    try Tensor(npy: NpyArray.read(path: path))
  }

  /// This tensor as a float32 `.npy` array.
  public func npyArray() throws -> NpyArray { try NpyArray(shape: shape, floats: values) }
}
