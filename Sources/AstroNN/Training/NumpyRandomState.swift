/// NumPy's legacy `RandomState` (MT19937) as far as `permutation` needs it, so that splits equal the ones
/// braai made with scikit-learn's `train_test_split(..., random_state=42)` on the same data.
///
/// Written from the published MT19937 algorithm (Matsumoto & Nishimura) and NumPy's documented legacy
/// seeding and bounded-integer rules: a seed is used as `init_genrand(seed)`; `permutation(n)` shuffles
/// `arange(n)` with Fisher-Yates from the end, drawing `j` in `0...i` by masked rejection sampling.
public struct NumpyRandomState {
  private var state = [UInt32](repeating: 0, count: 624)
  private var index = 624

  /// `numpy.random.RandomState(seed)` for a seed in `0..<2^32`.
  public init(seed: UInt32) {
    state[0] = seed
    for i in 1..<624 {
      state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
    }
  }

  /// The next 32-bit output of MT19937.
  public mutating func nextUInt32() -> UInt32 {
    if index >= 624 { twist() }
    var y = state[index]
    index += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C_5680
    y ^= (y << 15) & 0xEFC6_0000
    y ^= y >> 18
    return y
  }

  private mutating func twist() {
    for i in 0..<624 {
      let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
      var next = state[(i + 397) % 624] ^ (y >> 1)
      if y & 1 != 0 { next ^= 0x9908_B0DF }
      state[i] = next
    }
    index = 0
  }

  /// A uniform integer in `0...upper` (NumPy's legacy `random_interval`: mask to the next power of two
  /// minus one, reject values above `upper`).
  mutating func interval(_ upper: Int) -> Int {
    if upper == 0 { return 0 }
    var mask = UInt64(upper)
    for shift in [1, 2, 4, 8, 16, 32] { mask |= mask >> UInt64(shift) }
    precondition(upper <= Int(UInt32.max), "permutations beyond 2^32 elements are not supported")
    while true {
      let value = UInt64(nextUInt32()) & mask
      if value <= UInt64(upper) { return Int(value) }
    }
  }

  /// `RandomState.permutation(n)`.
  public mutating func permutation(_ n: Int) -> [Int] {
    var a = Array(0..<n)
    if n > 1 {
      for i in stride(from: n - 1, through: 1, by: -1) { a.swapAt(i, interval(i)) }
    }
    return a
  }
}

/// Train/test splits that select exactly the samples scikit-learn's `train_test_split` selects.
public enum DataSplit {
  /// `train_test_split(range(count), test_size=testFraction, random_state=seed)`: the test set is the first
  /// `ceil(testFraction * count)` entries of the seeded permutation, the training set the rest, both in
  /// permutation order (braai: test fraction 0.1, seed 42).
  public static func trainTest(count: Int, testFraction: Double = 0.1, seed: UInt32 = 42) throws -> (train: [Int], test: [Int]) {
    guard testFraction > 0, testFraction < 1 else {
      throw NNError.model("test fraction \(testFraction) must be between 0 and 1")
    }
    let testCount = Int((testFraction * Double(count)).rounded(.up))
    guard testCount > 0, testCount < count else {
      throw NNError.model("a test fraction of \(testFraction) leaves no training or no test samples out of \(count)")
    }
    var random = NumpyRandomState(seed: seed)
    let order = random.permutation(count)
    return (Array(order[testCount...]), Array(order[..<testCount]))
  }

  /// braai's validation split: the FIRST `floor(fraction * count)` samples of the training part (Keras'
  /// `ImageDataGenerator(validation_split=...)` with `subset='validation'`), the rest for training.
  public static func validation(_ indices: [Int], fraction: Double) -> (train: [Int], validation: [Int]) {
    let n = Int(fraction * Double(indices.count))
    return (Array(indices[n...]), Array(indices[..<n]))
  }
}
