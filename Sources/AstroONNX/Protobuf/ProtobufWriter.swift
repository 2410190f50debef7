/// A protobuf wire-format encoder for the few message kinds an ONNX file holds.
///
/// Written here rather than generated: swift-protobuf's generator needs code derived from onnx's `.proto`
/// (not ours to commit) and a C++ `protoc` build, while writing needs only varints, length-delimited fields
/// and fixed-width floats. Repeated scalars are always packed (every protobuf parser accepts packed fields).
struct ProtobufWriter {
  private(set) var bytes: [UInt8] = []

  enum WireType: UInt8 {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
  }

  private mutating func varint(_ value: UInt64) {
    var v = value
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  private mutating func tag(_ field: Int, _ wire: WireType) { varint(UInt64(field) << 3 | UInt64(wire.rawValue)) }

  /// An int64, int32 or enum field (negative values take ten bytes, as protobuf's two's complement varints do).
  mutating func int(_ field: Int, _ value: Int64) {
    tag(field, .varint)
    varint(UInt64(bitPattern: value))
  }

  mutating func float(_ field: Int, _ value: Float) {
    tag(field, .fixed32)
    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
  }

  mutating func bytes(_ field: Int, _ value: [UInt8]) {
    tag(field, .lengthDelimited)
    varint(UInt64(value.count))
    bytes += value
  }

  mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

  /// A nested message, encoded by `body` into its own writer.
  mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
    var inner = ProtobufWriter()
    body(&inner)
    bytes(field, inner.bytes)
  }

  /// A packed repeated int64/int32 field.
  mutating func packedInts(_ field: Int, _ values: [Int64]) {
    guard !values.isEmpty else { return }
    var inner = ProtobufWriter()
    for v in values { inner.varint(UInt64(bitPattern: v)) }
    bytes(field, inner.bytes)
  }

  /// A packed repeated float field.
  mutating func packedFloats(_ field: Int, _ values: [Float]) {
    guard !values.isEmpty else { return }
    tag(field, .lengthDelimited)
    varint(UInt64(values.count * 4))
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
  }
}
