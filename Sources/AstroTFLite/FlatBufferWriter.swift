/// A small FlatBuffers encoder for writing `.tflite` files (no FlatBuffers runtime for Swift is among the packages
/// this project may use, and writing needs only tables, vectors and strings).
///
/// Objects are laid out front to back, each parent before its children, so every uoffset points forward as the
/// format requires; a table's vtable sits just before it.
struct FlatBufferWriter {
  /// A value to encode: a table, a vector or a string. Tables list their fields by schema id.
  indirect enum Object {
    case table([Int: Field])
    case tables([Object])
    case bytes([UInt8], alignment: Int)
    case int32s([Int32])
    case int64s([Int64])
    case floats([Float])
    case string(String)
  }

  enum Field {
    case u8(UInt8), bool(Bool), i32(Int32), u32(UInt32), u64(UInt64), f32(Float)
    case object(Object)

    var size: Int {
      switch self {
      case .u8, .bool: return 1
      case .i32, .u32, .f32, .object: return 4
      case .u64: return 8
      }
    }
  }

  private(set) var bytes = [UInt8]()

  /// The whole buffer: the root offset, the file identifier, then `root` and everything it refers to.
  static func encode(root: Object, identifier: [UInt8]) -> [UInt8] {
    var writer = FlatBufferWriter()
    writer.bytes = [0, 0, 0, 0] + identifier
    let rootPosition = writer.write(root)
    writer.patch(0, to: rootPosition)
    return writer.bytes
  }

  private mutating func pad(to alignment: Int, leaving remainder: Int = 0) {
    while (bytes.count + remainder) % alignment != 0 { bytes.append(0) }
  }

  private mutating func append<T: FixedWidthInteger>(_ value: T) {
    withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
  }

  private mutating func set<T: FixedWidthInteger>(_ value: T, at position: Int) {
    withUnsafeBytes(of: value.littleEndian) { raw in
      for (k, byte) in raw.enumerated() { bytes[position + k] = byte }
    }
  }

  /// Points the uoffset slot at `slot` to `target` (always forward).
  private mutating func patch(_ slot: Int, to target: Int) {
    set(UInt32(target - slot), at: slot)
  }

  /// Writes `object` (and then its children) and returns its position (a table's start, a vector's count).
  @discardableResult
  mutating func write(_ object: Object) -> Int {
    switch object {
    case .table(let fields): return writeTable(fields)
    case .tables(let tables):
      pad(to: 4)
      let start = bytes.count
      append(UInt32(tables.count))
      let slots = tables.indices.map { bytes.count + 4 * $0 }
      bytes += [UInt8](repeating: 0, count: 4 * tables.count)
      for (slot, table) in zip(slots, tables) { patch(slot, to: write(table)) }
      return start
    case .bytes(let data, let alignment):
      pad(to: max(alignment, 4), leaving: 4)
      let start = bytes.count
      append(UInt32(data.count))
      bytes += data
      return start
    case .int32s(let values):
      pad(to: 4)
      let start = bytes.count
      append(UInt32(values.count))
      for value in values { append(value) }
      return start
    case .int64s(let values):
      pad(to: 8, leaving: 4)
      let start = bytes.count
      append(UInt32(values.count))
      for value in values { append(value) }
      return start
    case .floats(let values):
      pad(to: 4)
      let start = bytes.count
      append(UInt32(values.count))
      for value in values { append(value.bitPattern) }
      return start
    case .string(let text):
      pad(to: 4)
      let start = bytes.count
      let utf8 = Array(text.utf8)
      append(UInt32(utf8.count))
      bytes += utf8 + [0]
      return start
    }
  }

  private mutating func writeTable(_ fields: [Int: Field]) -> Int {
    let fieldCount = (fields.keys.max() ?? -1) + 1
    // Largest fields first, so each lands aligned with no padding between them.
    let order = fields.sorted { ($0.value.size, -$0.key) > ($1.value.size, -$1.key) }
    var offsets = [Int](repeating: 0, count: fieldCount)
    var inline = 4
    for (id, field) in order {
      while inline % field.size != 0 { inline += 1 }
      offsets[id] = inline
      inline += field.size
    }
    // The vtable, then the table aligned to 8 (its widest scalar).
    pad(to: 2)
    let vtable = bytes.count
    append(UInt16(4 + 2 * fieldCount))
    append(UInt16(inline))
    for offset in offsets { append(UInt16(offset)) }
    pad(to: 8)
    let table = bytes.count
    append(Int32(table - vtable))
    bytes += [UInt8](repeating: 0, count: inline - 4)
    var children = [(slot: Int, object: Object)]()
    for (id, field) in fields {
      let at = table + offsets[id]
      switch field {
      case .u8(let v): bytes[at] = v
      case .bool(let v): bytes[at] = v ? 1 : 0
      case .i32(let v): set(v, at: at)
      case .u32(let v): set(v, at: at)
      case .u64(let v): set(v, at: at)
      case .f32(let v): set(v.bitPattern, at: at)
      case .object(let object): children.append((at, object))
      }
    }
    for (slot, object) in children.sorted(by: { $0.slot < $1.slot }) { patch(slot, to: write(object)) }
    return table
  }
}
