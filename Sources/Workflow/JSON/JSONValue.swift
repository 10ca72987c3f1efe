import OrderedCollections

/// An object whose members keep the order they were written in, as ComfyUI's files rely on.
public typealias JSONObject = OrderedDictionary<String, JSONValue>

/// A JSON number kept as the exact text it was written with, so `18446744073709551615` and
/// `0.4000000000000001` survive a load → save round trip unchanged.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
  /// The number's text; always valid JSON number syntax.
  public let text: String

  /// Wraps text that the caller has already checked with `JSONNumber.isValid`.
  public init(uncheckedText text: String) { self.text = text }

  /// Wraps `text` if it is a valid JSON number (`-0.5e3`), otherwise nil.
  public init?(_ text: String) {
    guard JSONNumber.isValid(text) else { return nil }
    self.text = text
  }

  public init(_ value: Int) { text = String(value) }
  public init(_ value: Int64) { text = String(value) }
  public init(_ value: UInt64) { text = String(value) }

  /// The shortest text that reads back as `value`; integral values are written without `.0`,
  /// as Python's `json.dumps` would not but JavaScript's `JSON.stringify` does. Nil for NaN and the
  /// infinities, which JSON cannot write.
  public init?(_ value: Double) {
    guard value.isFinite else { return nil }
    if value == value.rounded(), abs(value) < 1e15 {
      text = String(Int64(value))
    } else {
      text = "\(value)"
    }
  }

  public var description: String { text }

  /// True when the text has no fraction or exponent (`42`, `-7`).
  public var isInteger: Bool {
    !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
  }

  public var int64Value: Int64? { isInteger ? Int64(text) : nil }
  public var uint64Value: UInt64? { isInteger ? UInt64(text) : nil }
  public var doubleValue: Double { Double(text) ?? .nan }

  /// Checks the JSON number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
  public static func isValid(_ text: String) -> Bool {
    var bytes = text.utf8.makeIterator()
    var next = bytes.next()
    func isDigit(_ b: UInt8?) -> Bool { b.map { $0 >= 48 && $0 <= 57 } ?? false }
    if next == UInt8(ascii: "-") { next = bytes.next() }
    guard let first = next, isDigit(first) else { return false }
    next = bytes.next()
    if first != UInt8(ascii: "0") {
      while isDigit(next) { next = bytes.next() }
    }
    if next == UInt8(ascii: ".") {
      next = bytes.next()
      guard isDigit(next) else { return false }
      while isDigit(next) { next = bytes.next() }
    }
    if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
      next = bytes.next()
      if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { next = bytes.next() }
      guard isDigit(next) else { return false }
      while isDigit(next) { next = bytes.next() }
    }
    return next == nil
  }
}

/// A lossless JSON value: object member order and number text are kept exactly.
public enum JSONValue: Sendable, Hashable {
  case null
  case bool(Bool)
  case number(JSONNumber)
  case string(String)
  case array([JSONValue])
  case object(JSONObject)

  public static func int(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
  /// A number, or `null` for NaN and the infinities (as JavaScript's `JSON.stringify` writes them).
  public static func double(_ value: Double) -> JSONValue { JSONNumber(value).map(JSONValue.number) ?? .null }

  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }
  public var numberValue: JSONNumber? {
    if case .number(let n) = self { return n }
    return nil
  }
  public var boolValue: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }
  public var arrayValue: [JSONValue]? {
    if case .array(let a) = self { return a }
    return nil
  }
  public var objectValue: JSONObject? {
    if case .object(let o) = self { return o }
    return nil
  }
  public var isNull: Bool { self == .null }

  /// Member lookup on objects; nil for anything else.
  public subscript(key: String) -> JSONValue? {
    if case .object(let o) = self { return o[key] }
    return nil
  }

  /// A short name of the value's JSON type, for messages ("expected a number, got a string").
  public var typeName: String {
    switch self {
    case .null: "null"
    case .bool: "a boolean"
    case .number: "a number"
    case .string: "a string"
    case .array: "a list"
    case .object: "an object"
    }
  }

  /// Equality that compares numbers by value (`1.0 == 1`), for semantic checks; `==` compares text.
  public func numericallyEqual(to other: JSONValue) -> Bool {
    switch (self, other) {
    case (.number(let a), .number(let b)):
      if a.text == b.text { return true }
      if let x = a.int64Value, let y = b.int64Value { return x == y }
      if let x = a.uint64Value, let y = b.uint64Value { return x == y }
      return a.doubleValue == b.doubleValue
    case (.array(let a), .array(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { $0.numericallyEqual(to: $1) }
    case (.object(let a), .object(let b)):
      guard a.count == b.count else { return false }
      return a.allSatisfy { key, value in b[key].map { value.numericallyEqual(to: $0) } ?? false }
    default:
      return self == other
    }
  }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(integerLiteral value: Int) { self = .int(value) }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(JSONObject(elements, uniquingKeysWith: { _, last in last }))
  }
  public init(nilLiteral: ()) { self = .null }
}
