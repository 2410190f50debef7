// Arithmetic operators. Tensor-with-tensor operators broadcast and throw when the shapes cannot broadcast
// (`try a + b`); operators with a scalar cannot fail.

extension Tensor {
  /// Elementwise sum, broadcasting (throws when the shapes do not broadcast).
  public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.adding(rhs) }
  /// Elementwise difference, broadcasting (throws when the shapes do not broadcast).
  public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.subtracting(rhs) }
  /// Elementwise product, broadcasting (throws when the shapes do not broadcast).
  public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.multiplying(rhs) }
  /// Elementwise quotient, broadcasting (throws when the shapes do not broadcast).
  public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.dividing(rhs) }

  /// Adds a scalar to every element.
  public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.adding(rhs) }
  /// Adds a scalar to every element.
  public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs.adding(lhs) }
  /// Subtracts a scalar from every element.
  public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.adding(-rhs) }
  /// The scalar minus each element.
  public static func - (lhs: Float, rhs: Tensor) -> Tensor { rhs.scaled(by: -1).adding(lhs) }
  /// Multiplies every element by a scalar.
  public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.scaled(by: rhs) }
  /// Multiplies every element by a scalar.
  public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.scaled(by: lhs) }
  /// Divides every element by a scalar (multiplies by its reciprocal).
  public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs.scaled(by: 1 / rhs) }
  /// The scalar divided by each element (a rank-0 tensor broadcast against `rhs`).
  public static func / (lhs: Float, rhs: Tensor) throws -> Tensor { try Tensor(scalar: lhs).dividing(rhs) }
  /// Negates every element.
  public static prefix func - (operand: Tensor) -> Tensor { operand.scaled(by: -1) }
}
