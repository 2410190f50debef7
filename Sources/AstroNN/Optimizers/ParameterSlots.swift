import AstroTensor

/// An optimizer's per-parameter state (Adam's moments, SGD's velocity), for the parameter it was made for.
///
/// Keyed by object identity, which a freed tensor hands on to whatever is allocated at its address next: each
/// entry holds its parameter weakly, and an entry whose parameter is gone, or is another tensor, or has
/// another shape, is never used for a parameter (it starts afresh). So an optimizer reused after its model
/// was freed cannot write through state sized for another tensor.
struct ParameterSlots<State> {
  private struct Entry {
    weak var parameter: Tensor?
    let shape: [Int]
    var state: State
  }
  private var entries: [ObjectIdentifier: Entry] = [:]

  /// The state of `parameter`, made by `make` the first time.
  mutating func state(for parameter: Tensor, make: () -> State) -> State {
    let key = ObjectIdentifier(parameter)
    if let entry = entries[key], entry.parameter === parameter, entry.shape == parameter.shape { return entry.state }
    let state = make()
    entries[key] = Entry(parameter: parameter, shape: parameter.shape, state: state)
    if entries.count > 64 && entries.count.isMultiple(of: 64) { entries = entries.filter { $0.value.parameter != nil } }
    return state
  }

  /// The state of `parameter` if it has one.
  func existing(_ parameter: Tensor) -> State? {
    guard let entry = entries[ObjectIdentifier(parameter)], entry.parameter === parameter, entry.shape == parameter.shape else {
      return nil
    }
    return entry.state
  }

  /// Sets `parameter`'s state (restoring a checkpoint).
  mutating func set(_ state: State, for parameter: Tensor) {
    entries[ObjectIdentifier(parameter)] = Entry(parameter: parameter, shape: parameter.shape, state: state)
  }

  mutating func removeAll() { entries = [:] }
}
