// Arithmetic operators. Tensor-with-tensor operators broadcast and throw when the shapes cannot broadcast
// (`try a + b`); operators with a scalar cannot fail.

extension Tensor {
  public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.adding(rhs) }
  public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.subtracting(rhs) }
  public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.multiplying(rhs) }
  public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.dividing(rhs) }

  public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.adding(rhs) }
  public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs.adding(lhs) }
  public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.adding(-rhs) }
  public static func - (lhs: Float, rhs: Tensor) -> Tensor { rhs.scaled(by: -1).adding(lhs) }
  public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.scaled(by: rhs) }
  public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.scaled(by: lhs) }
  public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs.scaled(by: 1 / rhs) }
  public static func / (lhs: Float, rhs: Tensor) throws -> Tensor { try Tensor(scalar: lhs).dividing(rhs) }
  public static prefix func - (operand: Tensor) -> Tensor { operand.scaled(by: -1) }
}
