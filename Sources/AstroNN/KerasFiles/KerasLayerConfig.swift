/// One layer's entry of a Keras model config (`{"class_name": ..., "config": {...}}`), with typed accessors
/// whose errors name the layer, its class and the option.
///
/// Keras 2 and Keras 3 write the same option names for the layers supported here; where the value formats
/// differ (an integer or a pair, a dtype string or a `DTypePolicy` object) the accessors take both.
public struct KerasLayerConfig: Sendable {
  /// Keras' class name (`Conv2D`, `Dense`, ...).
  public let className: String
  /// The layer's name.
  public let name: String
  /// The `config` object.
  public let options: [String: JSONValue]

  /// A layer entry with its class name, name and `config` object.
  public init(className: String, name: String, options: [String: JSONValue]) {
    self.className = className; self.name = name; self.options = options
  }

  /// An error about this layer.
  public func error(_ message: String) -> NNError { .layer(name, "\(className): \(message)") }

  /// The value of `key` unless it is absent or null.
  public func value(_ key: String) -> JSONValue? {
    guard let v = options[key], !v.isNull else { return nil }
    return v
  }

  /// The integer option `key`, or `fallback` when absent or null; throws when it is missing without a fallback or
  /// not a whole number.
  public func int(_ key: String, default fallback: Int? = nil) throws -> Int {
    try typed(key, fallback, "an integer", \.intValue)
  }

  public func float(_ key: String, default fallback: Float? = nil) throws -> Float {
    Float(try typed(key, fallback.map(Double.init), "a number", \.doubleValue))
  }

  public func bool(_ key: String, default fallback: Bool) throws -> Bool {
    try typed(key, fallback, "true or false", \.boolValue)
  }

  public func string(_ key: String, default fallback: String? = nil) throws -> String {
    try typed(key, fallback, "a string", \.stringValue)
  }

  /// The value of `key` read by `read`; `fallback` when absent or null (an error naming the option without one).
  private func typed<T>(_ key: String, _ fallback: T?, _ what: String, _ read: (JSONValue) -> T?) throws -> T {
    guard let v = value(key) else {
      if let fallback { return fallback }
      throw error("option '\(key)' is missing")
    }
    guard let typed = read(v) else { throw error("option '\(key)' = \(v) is not \(what)") }
    return typed
  }

  /// A pair written as `[a, b]` or as one integer for both.
  public func pair(_ key: String, default fallback: (Int, Int)? = nil) throws -> (Int, Int) {
    try typed(key, fallback, "an integer pair") { v in
      if let n = v.intValue { return (n, n) }
      guard let list = v.arrayValue?.compactMap(\.intValue), list.count == 2, v.arrayValue?.count == 2 else { return nil }
      return (list[0], list[1])
    }
  }

  /// A list of integers.
  public func ints(_ key: String) throws -> [Int] {
    try typed(key, nil, "a list of integers") { v in
      guard let list = v.arrayValue, case let ints = list.compactMap(\.intValue), ints.count == list.count else { return nil }
      return ints
    }
  }

  /// Requires `key` to be absent, null, or one of `allowed` (as compact JSON, strings bare): an option this
  /// library does not implement must never be dropped silently.
  public func require(_ key: String, in allowed: [String]) throws {
    guard let v = value(key) else { return }
    guard allowed.contains(v.description) else {
      throw error("option '\(key)' = \(v) is not supported; supported: \(allowed.joined(separator: ", "))")
    }
  }

  /// The activation named by `key`.
  public func activation(_ key: String = "activation") throws -> Activation {
    let text = try string(key, default: "linear")
    guard let activation = Activation(rawValue: text) else {
      let known = Activation.allCases.map(\.rawValue).joined(separator: ", ")
      throw error("activation '\(text)' is not supported; supported: \(known)")
    }
    return activation
  }

  /// Refuses a dtype other than float32 (Keras 2 writes a string, Keras 3 a `DTypePolicy` object).
  func requireFloat32() throws {
    guard let v = value("dtype") else { return }
    let dtype = v.stringValue ?? v["config"]?["name"]?.stringValue
    guard dtype == "float32" else { throw error("dtype \(v) is not supported; only float32") }
  }
}
