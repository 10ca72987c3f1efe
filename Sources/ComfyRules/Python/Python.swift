import Workflow

/// A Python exception as the server would raise it while validating: type name and `str(ex)`.
struct PyException: Error, Sendable, Equatable {
  var type: String
  var message: String
  /// Where in execution.py it was raised, for the traceback the server reports.
  var site: TracebackSite
}

/// Just enough of Python's semantics to reproduce the server's conversions and messages exactly:
/// `int()`, `float()`, `bool()`, `str()`, `repr()`, `==`, `<`, and what `json.dumps` writes back.
/// Values are JSON as `json.loads` reads it: integer text is an `int` of any size, other numbers `float`.
package enum Py {
  // MARK: Types and text

  /// `type(v).__name__`.
  static func typeName(_ value: JSONValue) -> String {
    switch value {
    case .null: "NoneType"
    case .bool: "bool"
    case .number(let n): isIntText(n.text) ? "int" : "float"
    case .string: "str"
    case .array: "list"
    case .object: "dict"
    }
  }

  /// Whether JSON number text reads as a Python `int` (no fraction, no exponent).
  static func isIntText(_ text: String) -> Bool {
    !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
      && text != "Infinity" && text != "-Infinity" && text != "NaN"
  }

  /// `str(v)`.
  package static func str(_ value: JSONValue) -> String {
    if case .string(let s) = value { return s }
    return repr(value)
  }

  /// `repr(v)`.
  package static func repr(_ value: JSONValue) -> String {
    var out = ""
    appendRepr(value, to: &out)
    return out
  }

  static func appendRepr(_ value: JSONValue, to out: inout String) {
    switch value {
    case .null: out += "None"
    case .bool(let b): out += b ? "True" : "False"
    case .number(let n): out += numberRepr(n.text)
    case .string(let s): out += reprString(s)
    case .array(let elements):
      out += "["
      for (i, element) in elements.enumerated() {
        if i > 0 { out += ", " }
        appendRepr(element, to: &out)
      }
      out += "]"
    case .object(let members):
      out += "{"
      var first = true
      for (key, member) in members {
        if !first { out += ", " }
        first = false
        out += reprString(key)
        out += ": "
        appendRepr(member, to: &out)
      }
      out += "}"
    }
  }

  /// The repr of a JSON number as Python holds it: an exact int, or the float's shortest text.
  static func numberRepr(_ text: String) -> String {
    if isIntText(text) { return canonicalInt(text) }
    return floatRepr(parseDouble(text))
  }

  static func parseDouble(_ text: String) -> Double {
    switch text {
    case "Infinity": .infinity
    case "-Infinity": -.infinity
    case "NaN": .nan
    default: Double(text) ?? .nan
    }
  }

  /// Integer text exactly as Python writes the int: digits, a `-` unless zero, no leading zeros.
  static func isCanonicalIntText(_ text: String) -> Bool {
    var bytes = text.utf8.makeIterator()
    guard var first = bytes.next() else { return false }
    if first == UInt8(ascii: "-") {
      guard let next = bytes.next(), next != UInt8(ascii: "0") else { return false }
      first = next
    }
    guard first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return false }
    var count = 1
    while let b = bytes.next() {
      guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return false }
      count += 1
    }
    return first != UInt8(ascii: "0") || count == 1
  }

  /// Float text that already is `repr` of its value: fixed notation with a fraction, at most 15
  /// significant digits (so no shorter text reads back the same), no trailing zeros but `.0`, and a
  /// magnitude from 1e-4 up to 1e15. A fast path: anything else goes through `floatRepr`.
  static func isCanonicalFloatText(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    var i = 0
    if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
    guard let point = bytes.firstIndex(of: UInt8(ascii: ".")), point > i, point + 1 < bytes.count else {
      return false
    }
    let whole = bytes[i..<point]
    let fraction = bytes[(point + 1)...]
    guard whole.allSatisfy({ $0 >= 48 && $0 <= 57 }), fraction.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
      return false
    }
    if whole.count > 1, whole.first == UInt8(ascii: "0") { return false }
    if fraction.count > 1, fraction.last == UInt8(ascii: "0") { return false }
    let wholeIsZero = whole.count == 1 && whole.first == UInt8(ascii: "0")
    var significant: Int
    if wholeIsZero {
      let zeros = fraction.prefix { $0 == UInt8(ascii: "0") }.count
      if zeros == fraction.count { return true }  // 0.0 and -0.0
      guard zeros <= 3 else { return false }  // below 1e-4 Python switches to 1e-05 style
      significant = fraction.count - zeros
    } else {
      guard whole.count <= 15 else { return false }
      significant =
        whole.count + (fraction.count == 1 && fraction.first == UInt8(ascii: "0") ? 0 : fraction.count)
    }
    return significant <= 15
  }

  /// Integer text without a sign on zero (`-0` → `0`); JSON already forbids leading zeros.
  static func canonicalInt(_ text: String) -> String {
    var digits = Substring(text)
    var negative = false
    if digits.first == "-" {
      negative = true
      digits = digits.dropFirst()
    } else if digits.first == "+" {
      digits = digits.dropFirst()
    }
    let trimmed = digits.drop { $0 == "0" }
    if trimmed.isEmpty { return "0" }
    return (negative ? "-" : "") + trimmed
  }

  /// `repr(float)`: the shortest text that reads back, fixed notation for 1e-4 ≤ |x| < 1e16, else
  /// scientific with at least two exponent digits (`1e-05`, `1.5e+16`), `inf`, `nan`.
  package static func floatRepr(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x < 0 ? "-inf" : "inf" }
    if x == 0 { return x.sign == .minus ? "-0.0" : "0.0" }
    // Swift's description has the same shortest digits; only its layout rules differ.
    let swiftText = x.magnitude.description
    var mantissa = Substring(swiftText)
    var exponent = 0
    if let e = swiftText.firstIndex(where: { $0 == "e" || $0 == "E" }) {
      mantissa = swiftText[..<e]
      exponent = Int(swiftText[swiftText.index(after: e)...]) ?? 0
    }
    var digits = ""
    var pointPosition = mantissa.count
    for (i, c) in mantissa.enumerated() {
      if c == "." { pointPosition = i } else { digits.append(c) }
    }
    // value = 0.d1d2d3… × 10^(decimalExponent)
    var decimalExponent = pointPosition + exponent
    let leadingZeros = digits.prefix { $0 == "0" }.count
    digits.removeFirst(leadingZeros)
    decimalExponent -= leadingZeros
    while digits.count > 1 && digits.last == "0" { digits.removeLast() }
    let sign = x < 0 ? "-" : ""
    let exp10 = decimalExponent - 1  // exponent of the leading digit
    if exp10 < -4 || exp10 >= 16 {
      var text = String(digits.prefix(1))
      if digits.count > 1 { text += "." + digits.dropFirst() }
      let e = abs(exp10)
      text += (exp10 < 0 ? "e-" : "e+") + (e < 10 ? "0" : "") + String(e)
      return sign + text
    }
    if decimalExponent <= 0 {
      return sign + "0." + String(repeating: "0", count: -decimalExponent) + digits
    }
    if digits.count <= decimalExponent {
      return sign + digits + String(repeating: "0", count: decimalExponent - digits.count) + ".0"
    }
    let split = digits.index(digits.startIndex, offsetBy: decimalExponent)
    return sign + digits[..<split] + "." + digits[split...]
  }

  /// `repr(str)`: single quotes unless the text has `'` and no `"`; non-printable characters escaped.
  package static func reprString(_ s: String) -> String {
    let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
    var out = String(quote)
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if Character(scalar) == quote {
          out += "\\" + String(quote)
        } else if isPrintable(scalar) {
          out.unicodeScalars.append(scalar)
        } else {
          let v = scalar.value
          let hex = String(v, radix: 16)
          if v <= 0xFF {
            out += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
          } else if v <= 0xFFFF {
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
          } else {
            out += "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
          }
        }
      }
    }
    out.append(quote)
    return out
  }

  /// `str.isprintable()` for one character: not a control, format, surrogate, private-use,
  /// unassigned or separator character (the ASCII space excepted).
  static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
    if scalar == " " { return true }
    switch scalar.properties.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
      .spaceSeparator:
      return false
    default:
      return true
    }
  }

  // MARK: json.dumps(json.loads(v))

  /// The JSON the server writes back for a value it read: ints in canonical form, floats as `repr`
  /// (`1E5` → `100000.0`; out-of-range floats as Python's `Infinity`/`NaN`).
  static func roundTrip(_ value: JSONValue) -> JSONValue {
    switch value {
    case .number(let n):
      let text = n.text
      if isIntText(text) {
        let canonical = canonicalInt(text)
        return canonical == text ? value : .number(JSONNumber(uncheckedText: canonical))
      }
      return floatJSON(parseDouble(text))
    case .array(let elements):
      return .array(elements.map(roundTrip))
    case .object(let members):
      var result = JSONObject(minimumCapacity: members.count)
      for (key, member) in members { result[key] = roundTrip(member) }
      return .object(result)
    default:
      return value
    }
  }

  /// A Python float as `json.dumps` writes it.
  static func floatJSON(_ x: Double) -> JSONValue {
    if x.isNaN { return .number(JSONNumber(uncheckedText: "NaN")) }
    if x.isInfinite { return .number(JSONNumber(uncheckedText: x < 0 ? "-Infinity" : "Infinity")) }
    return .number(JSONNumber(uncheckedText: floatRepr(x)))
  }

  static func intJSON(_ canonical: String) -> JSONValue { .number(JSONNumber(uncheckedText: canonical)) }

  // MARK: Conversions

  /// `int(v)`: the integer (canonical text) or the exception Python raises.
  static func int(_ value: JSONValue) -> Result<String, PyException> {
    switch value {
    case .bool(let b): return .success(b ? "1" : "0")
    case .number(let n):
      if isIntText(n.text) { return .success(canonicalInt(n.text)) }
      return intFromDouble(parseDouble(n.text))
    case .string(let s):
      if let parsed = parseIntLiteral(s) { return .success(parsed) }
      return .failure(
        PyException(
          type: "ValueError", message: "invalid literal for int() with base 10: \(reprString(s))",
          site: .conversion))
    default:
      return .failure(
        PyException(
          type: "TypeError",
          message:
            "int() argument must be a string, a bytes-like object or a real number, not '\(typeName(value))'",
          site: .conversion))
    }
  }

  /// `int(x)` for a float: truncation toward zero, exact for any size.
  static func intFromDouble(_ x: Double) -> Result<String, PyException> {
    if x.isNaN {
      return .failure(
        PyException(type: "ValueError", message: "cannot convert float NaN to integer", site: .conversion))
    }
    if x.isInfinite {
      return .failure(
        PyException(
          type: "OverflowError", message: "cannot convert float infinity to integer", site: .conversion))
    }
    return .success(exactIntegerText(x.rounded(.towardZero)))
  }

  /// The exact decimal digits of an integral double (doubles beyond 2^63 included).
  static func exactIntegerText(_ x: Double) -> String {
    if x == 0 { return "0" }
    if x.magnitude < 9.2e18 { return String(Int64(x)) }
    // x = significand × 2^k with an integer significand; multiply out in decimal.
    let negative = x < 0
    let m = x.magnitude
    let shift = Int(m.exponent) - Double.significandBitCount
    var digits = Array(
      String(UInt64(m.significandBitPattern | (1 << UInt64(Double.significandBitCount))))
        .utf8.map { $0 - 48 }.reversed())
    for _ in 0..<max(0, shift) {
      var carry: UInt8 = 0
      for i in digits.indices {
        let v = digits[i] * 2 + carry
        digits[i] = v % 10
        carry = v / 10
      }
      if carry > 0 { digits.append(carry) }
    }
    return (negative ? "-" : "") + String(decoding: digits.reversed().map { $0 + 48 }, as: UTF8.self)
  }

  /// Python's `int(str)` grammar for base 10: white space around, a sign, digits (any script's decimal
  /// digits) with single underscores between them. Returns canonical text or nil.
  static func parseIntLiteral(_ s: String) -> String? {
    let scalars = Array(stripPythonWhitespace(s).unicodeScalars)
    var i = 0
    var negative = false
    if i < scalars.count, scalars[i] == "+" || scalars[i] == "-" {
      negative = scalars[i] == "-"
      i += 1
    }
    var digits = ""
    var lastWasDigit = false
    while i < scalars.count {
      let c = scalars[i]
      if c == "_" {
        guard lastWasDigit else { return nil }
        lastWasDigit = false
      } else if let d = decimalDigit(c) {
        digits.append(Character(Unicode.Scalar(UInt8(48 + d))))
        lastWasDigit = true
      } else {
        return nil
      }
      i += 1
    }
    guard lastWasDigit, !digits.isEmpty else { return nil }
    return canonicalInt((negative ? "-" : "") + digits)
  }

  /// `float(v)` or the exception Python raises.
  static func float(_ value: JSONValue) -> Result<Double, PyException> {
    switch value {
    case .bool(let b): return .success(b ? 1 : 0)
    case .number(let n):
      let x = parseDouble(n.text)
      if isIntText(n.text), x.isInfinite {
        return .failure(
          PyException(type: "OverflowError", message: "int too large to convert to float", site: .conversion))
      }
      return .success(x)
    case .string(let s):
      if let x = parseFloatLiteral(s) { return .success(x) }
      return .failure(
        PyException(
          type: "ValueError", message: "could not convert string to float: \(reprString(s))",
          site: .conversion))
    default:
      return .failure(
        PyException(
          type: "TypeError",
          message: "float() argument must be a string or a real number, not '\(typeName(value))'",
          site: .conversion))
    }
  }

  /// Python's `float(str)` grammar: `inf`, `infinity`, `nan` in any case, or a decimal with optional
  /// fraction and exponent; underscores only between digits; white space around.
  static func parseFloatLiteral(_ s: String) -> Double? {
    let stripped = stripPythonWhitespace(s)
    var body = Substring(stripped)
    var sign = ""
    if let first = body.first, first == "+" || first == "-" {
      sign = first == "-" ? "-" : ""
      body = body.dropFirst()
    }
    switch body.lowercased() {
    case "inf", "infinity": return sign == "-" ? -.infinity : .infinity
    case "nan": return .nan
    default: break
    }
    var ascii = sign
    var sawDigit = false
    var sawPoint = false
    var sawExponent = false
    var lastWasDigit = false
    var exponentDigits = false
    var previous: Character = " "
    for c in body.unicodeScalars {
      if c == "_" {
        guard lastWasDigit else { return nil }
        lastWasDigit = false
        previous = "_"
        continue
      }
      if previous == "_" && decimalDigit(c) == nil { return nil }
      if let d = decimalDigit(c) {
        ascii.append(Character(Unicode.Scalar(UInt8(48 + d))))
        if sawExponent { exponentDigits = true } else { sawDigit = true }
        lastWasDigit = true
      } else if c == "." && !sawPoint && !sawExponent {
        sawPoint = true
        ascii.append(".")
        lastWasDigit = false
      } else if (c == "e" || c == "E") && sawDigit && !sawExponent {
        sawExponent = true
        ascii.append("e")
        lastWasDigit = false
      } else if (c == "+" || c == "-") && (previous == "e" || previous == "E") {
        ascii.append(Character(c))
        lastWasDigit = false
      } else {
        return nil
      }
      previous = Character(c)
    }
    guard sawDigit, previous != "_", !sawExponent || exponentDigits else { return nil }
    return Double(ascii)
  }

  /// `bool(v)`: Python truthiness.
  static func bool(_ value: JSONValue) -> Bool {
    switch value {
    case .null: false
    case .bool(let b): b
    case .number(let n): parseDouble(n.text) != 0  // NaN is truthy, and NaN != 0
    case .string(let s): !s.isEmpty
    case .array(let a): !a.isEmpty
    case .object(let o): !o.isEmpty
    }
  }

  static func decimalDigit(_ c: Unicode.Scalar) -> Int? {
    if c.value >= 48 && c.value <= 57 { return Int(c.value - 48) }
    guard c.value > 127, c.properties.numericType == .decimal, let v = c.properties.numericValue else {
      return nil
    }
    return Int(v)
  }

  /// `str.strip()` with no argument: Unicode white space.
  static func stripPythonWhitespace(_ s: String) -> String {
    func isSpace(_ c: Unicode.Scalar) -> Bool {
      switch c.value {
      case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0: return true
      default: return c.value > 0x7F && c.properties.isWhitespace
      }
    }
    let scalars = s.unicodeScalars
    guard let start = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
    guard let end = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
    return String(scalars[start...end])
  }

  // MARK: Comparisons

  /// `a == b` for values from JSON: numbers compare by value across int/float/bool.
  static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
    if let x = numeric(a), let y = numeric(b) { return compareNumbers(x, y) == .orderedSame }
    switch (a, b) {
    case (.null, .null): return true
    case (.string(let x), .string(let y)): return x == y
    case (.array(let x), .array(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
    case (.object(let x), .object(let y)):
      guard x.count == y.count else { return false }
      return x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
    default:
      return false
    }
  }

  /// `a < b` (or `a > b` with the arguments swapped), raising TypeError for values Python cannot order.
  static func less(
    _ a: JSONValue, _ b: JSONValue, operator op: String, site: TracebackSite
  )
    -> Result<Bool, PyException>
  {
    // Most comparisons are a value against a min or max, both integers that fit 64 bits.
    if case .number(let x) = a, case .number(let y) = b, let i = Int64(x.text), let j = Int64(y.text) {
      return .success(i < j)
    }
    if let x = numeric(a), let y = numeric(b) { return .success(compareNumbers(x, y) == .orderedAscending) }
    switch (a, b) {
    case (.string(let x), .string(let y)):
      return .success(x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars))
    case (.array(let x), .array(let y)):
      for (p, q) in zip(x, y) where !equal(p, q) { return less(p, q, operator: op, site: site) }
      return .success(x.count < y.count)
    default:
      let (left, right) = op == "<" ? (a, b) : (b, a)
      return .failure(
        PyException(
          type: "TypeError",
          message: "'\(op)' not supported between instances of '\(typeName(left))' and '\(typeName(right))'",
          site: site))
    }
  }

  enum Number {
    case int(String)
    case float(Double)
  }

  static func numeric(_ value: JSONValue) -> Number? {
    switch value {
    case .bool(let b): return .int(b ? "1" : "0")
    case .number(let n): return isIntText(n.text) ? .int(canonicalInt(n.text)) : .float(parseDouble(n.text))
    default: return nil
    }
  }

  /// Exact for int/int (any size); through doubles otherwise; NaN is unordered (`.orderedSame` never).
  static func compareNumbers(_ a: Number, _ b: Number) -> Order {
    switch (a, b) {
    case (.int(let x), .int(let y)): return compareIntText(x, y)
    default:
      let x = doubleValue(a)
      let y = doubleValue(b)
      if x.isNaN || y.isNaN { return .unordered }
      return x < y ? .orderedAscending : (x > y ? .orderedDescending : .orderedSame)
    }
  }

  static func doubleValue(_ n: Number) -> Double {
    switch n {
    case .int(let t): Double(t) ?? (t.hasPrefix("-") ? -.infinity : .infinity)
    case .float(let d): d
    }
  }

  /// Compares canonical integer texts by value.
  static func compareIntText(_ a: String, _ b: String) -> Order {
    if a == b { return .orderedSame }
    let aNeg = a.hasPrefix("-")
    let bNeg = b.hasPrefix("-")
    if aNeg != bNeg { return aNeg ? .orderedAscending : .orderedDescending }
    let x = aNeg ? a.dropFirst() : Substring(a)
    let y = bNeg ? b.dropFirst() : Substring(b)
    var magnitude: Order
    if x.count != y.count {
      magnitude = x.count < y.count ? .orderedAscending : .orderedDescending
    } else {
      magnitude = x.utf8.lexicographicallyPrecedes(y.utf8) ? .orderedAscending : .orderedDescending
    }
    if aNeg { magnitude = magnitude == .orderedAscending ? .orderedDescending : .orderedAscending }
    return magnitude
  }

  /// A comparison's outcome; `unordered` when NaN is involved (every comparison is then false).
  enum Order {
    case orderedAscending, orderedSame, orderedDescending, unordered
  }
}
