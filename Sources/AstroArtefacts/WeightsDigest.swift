import AstroNN
import Crypto
import Foundation

extension ModelManifest {
  /// A SHA-256 of a model's weights that survives conversion: each weight tensor (its kind — `kernel`, `gamma`,
  /// `moving_variance`, ... — its shape and its float32 values) is hashed alone, and the sorted tensor hashes are
  /// hashed together. The layer names and order an ONNX round trip changes do not change it; a changed value, or
  /// two weights of different kinds swapped (gamma for beta), does. Two same-kind, same-shape weights swapped
  /// between layers do not.
  public static func weightsDigest(of model: Model) -> String {
    var tensorHashes = zip(model.weightNames, model.weights).map { name, weight -> String in
      var hash = SHA256()
      hash.update(data: Data((name.split(separator: "/").last.map(String.init) ?? name).utf8 + [0]))
      for d in weight.shape { withUnsafeBytes(of: Int64(d).littleEndian) { hash.update(bufferPointer: $0) } }
      // The float32 values as stored: little-endian on every platform this library builds for.
      hash.update(bufferPointer: UnsafeRawBufferPointer(UnsafeBufferPointer(start: weight.storage.pointer, count: weight.count)))
      return hex(hash.finalize())
    }
    tensorHashes.sort()
    return hex(SHA256.hash(data: Data(tensorHashes.joined(separator: "\n").utf8)))
  }

  private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    digest.map { String(format: "%02x", $0) }.joined()
  }
}
