import Foundation

/// A filter on the alerts' indexed columns, in the MongoDB-like form Kowalski's and BOOM's `find` take:
///
///     {"drb": {"$gt": 0.9}, "fid": 1, "isdiffpos": {"$in": ["t", "1"]}, "jd": {"$gte": 2458880, "$lt": 2458881}}
///
/// Conditions on different columns, and several operators on one column, all hold (AND). Keys may carry
/// Kowalski's `candidate.` prefix (`candidate.drb`). Only the columns in `columns` can be filtered, with values of the
/// column's type: the filter becomes SQL with bound parameters, never SQL text from the client. A value that is not
/// valid (an unknown column or operator, a string for a number, an empty `$in`) throws `AlertStoreError` naming it.
public struct AlertFilter: Sendable, Equatable {
  /// The comparison operators.
  public enum Operator: String, Sendable, CaseIterable {
    case eq = "$eq", ne = "$ne", lt = "$lt", lte = "$lte", gt = "$gt", gte = "$gte", `in` = "$in"

    /// The SQL operator (`in` is rendered by each backend).
    public var sql: String {
      switch self {
      case .eq: return "="
      case .ne: return "<>"
      case .lt: return "<"
      case .lte: return "<="
      case .gt: return ">"
      case .gte: return ">="
      case .in: return "IN"
      }
    }
  }

  /// A value of a column's type.
  public enum Value: Sendable, Equatable {
    case integer(Int64)
    case real(Double)
    case text(String)
  }

  public enum ColumnType: Sendable { case integer, real, text }

  /// One condition: `column op value` (`in`: any of the values).
  public struct Condition: Sendable, Equatable {
    public var column: String
    public var op: Operator
    public var values: [Value]
  }

  /// The columns a filter may use (`StoredAlert`'s names) and their types.
  public static let columns: [String: ColumnType] = [
    "candid": .integer, "objectId": .text, "jd": .real, "fid": .integer, "ra": .real, "dec": .real, "magpsf": .real,
    "sigmapsf": .real, "diffmaglim": .real, "isdiffpos": .text, "rb": .real, "drb": .real, "programid": .integer,
  ]

  /// The conditions, ordered by column then operator (so equal filters render the same SQL).
  public let conditions: [Condition]

  public init(conditions: [Condition]) {
    self.conditions = conditions.sorted { ($0.column, $0.op.rawValue) < ($1.column, $1.op.rawValue) }
  }

  /// Parses a decoded JSON object (`JSONSerialization`): `{column: value}` for equality, or
  /// `{column: {operator: value, ...}}`.
  public init(json: Any?, source: String = "filter") throws {
    func fail(_ reason: String) -> AlertStoreError { AlertStoreError(source: source, reason: reason) }
    guard let object = json as? [String: Any] else {
      if json == nil || json is NSNull { self.init(conditions: []); return }
      throw fail("must be a JSON object of {column: value} or {column: {operator: value}}")
    }
    var conditions: [Condition] = []
    for (key, spec) in object {
      let column = key.hasPrefix("candidate.") ? String(key.dropFirst("candidate.".count)) : key
      guard let type = Self.columns[column] else {
        throw fail("'\(key)' is not a column a filter can use (\(Self.columns.keys.sorted().joined(separator: ", ")))")
      }
      let operators: [(String, Any)]
      if let dictionary = spec as? [String: Any] {
        guard !dictionary.isEmpty else { throw fail("'\(key)': empty condition") }
        operators = dictionary.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
      } else {
        operators = [("$eq", spec)]
      }
      for (name, operand) in operators {
        guard let op = Operator(rawValue: name) else {
          throw fail("'\(key)': unknown operator '\(name)' (\(Operator.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let operands: [Any]
        if op == .in {
          guard let list = operand as? [Any], !list.isEmpty, list.count <= 1000 else {
            throw fail("'\(key)': $in takes a list of 1 to 1000 values")
          }
          operands = list
        } else {
          operands = [operand]
        }
        let values = try operands.map { try Self.value($0, type, "\(key).\(name)", fail) }
        conditions.append(Condition(column: column, op: op, values: values))
      }
    }
    self.init(conditions: conditions)
  }

  private static func value(
    _ operand: Any, _ type: ColumnType, _ what: String, _ fail: (String) -> AlertStoreError
  ) throws -> Value {
    switch type {
    case .text:
      guard let text = operand as? String else { throw fail("'\(what)' must be a string") }
      return .text(text)
    case .integer, .real:
      guard let double = Self.number(operand), let number = operand as? NSNumber else { throw fail("'\(what)' must be a number") }
      if type == .real { return .real(double) }
      guard double == double.rounded(), abs(double) < 9.2e18 else { throw fail("'\(what)' must be an integer") }
      return .integer(number.int64Value)
    }
  }

  /// A decoded JSON value (`JSONSerialization`) as a finite number, or nil: JSONSerialization gives NSNumber for
  /// numbers and booleans alike (a boolean's type code is "c"), and a boolean is not a number here.
  public static func number(_ value: Any?) -> Double? {
    guard let number = value as? NSNumber, String(cString: number.objCType) != "c", number.doubleValue.isFinite else { return nil }
    return number.doubleValue
  }
}
