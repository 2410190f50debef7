/// Names made unique within one graph: `base`, or `base_1`, `base_2`, ... when taken (ONNX values are SSA, and
/// a model's layer names must differ).
struct UniqueNames {
  private var used: Set<String> = []

  /// Marks `name` as taken.
  mutating func insert(_ name: String) { used.insert(name) }

  /// A name not taken yet, starting with `base`, now taken.
  mutating func reserve(_ base: String) -> String {
    var name = base, k = 1
    while used.contains(name) {
      name = "\(base)_\(k)"
      k += 1
    }
    used.insert(name)
    return name
  }
}
