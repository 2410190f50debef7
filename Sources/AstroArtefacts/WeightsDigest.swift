import AstroNN
import Crypto
import Foundation

extension ModelManifest {
  /// A SHA-256 of a model's weights that survives conversion: each weight tensor (its shape and float32 values)
  /// is hashed alone, and the sorted tensor hashes are hashed together, so the layer names and order an ONNX
  /// round trip changes do not change it, while any changed value does.
  public static func weightsDigest(of model: Model) -> String {
    var tensorHashes = model.weights.map { weight -> String in
      var hash = SHA256()
      for d in weight.shape { withUnsafeBytes(of: Int64(d).littleEndian) { hash.update(bufferPointer: $0) } }
      for v in weight.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { hash.update(bufferPointer: $0) } }
      return hex(hash.finalize())
    }
    tensorHashes.sort()
    return hex(SHA256.hash(data: Data(tensorHashes.joined(separator: "\n").utf8)))
  }

  private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    digest.map { String(format: "%02x", $0) }.joined()
  }
}
