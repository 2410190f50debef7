/// Conversions between int8/uint8 bytes and the int32 values the kernels compute with.
enum QuantizedElements {
  static func load(_ bytes: [UInt8], _ type: ElementType) -> [Int32] {
    type == .uint8 ? bytes.map { Int32($0) } : bytes.map { Int32(Int8(bitPattern: $0)) }
  }

  /// Bytes of already-clamped values.
  static func store(_ values: [Int32], _ type: ElementType) -> [UInt8] {
    type == .uint8 ? values.map { UInt8(truncatingIfNeeded: $0) } : values.map { UInt8(bitPattern: Int8(truncatingIfNeeded: $0)) }
  }

  static func limits(_ type: ElementType) -> ClosedRange<Int32> { type == .uint8 ? 0...255 : -128...127 }
}

extension ClosedRange where Bound == Int32 {
  @inline(__always) func clamp(_ value: Int32) -> Int32 { Swift.min(Swift.max(value, lowerBound), upperBound) }
}
