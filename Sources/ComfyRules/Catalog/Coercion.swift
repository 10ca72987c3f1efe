import Workflow

/// Why a value does not fit an input, in words a user can act on.
public struct ValueError: Error, Sendable, Equatable, CustomStringConvertible {
  public let message: String
  /// Close choices for a COMBO value, nearest first (may be empty).
  public let suggestions: [String]

  public init(_ message: String, suggestions: [String] = []) {
    self.message = message
    self.suggestions = suggestions
  }

  public var description: String { message }
}

/// A coerced value and, when it is not what was typed, what changed and why.
public struct Coercion: Sendable, Equatable {
  public var value: JSONValue
  /// E.g. "8.5 → 8: INT inputs take whole numbers and ComfyUI truncates"; nil when unchanged.
  public var note: String?

  public init(value: JSONValue, note: String? = nil) {
    self.value = value
    self.note = note
  }
}

extension Catalog {
  /// Checks and converts a value for `set` as ComfyUI would read it (DESIGN §4); see `InputSpec.coerce`.
  public func coerce(_ value: JSONValue, for input: InputSpec) -> Result<JSONValue, ValueError> {
    input.coerce(value).map(\.value)
  }
}

extension InputSpec {
  /// Checks `value` against this input and converts it to what the server would use.
  ///
  /// - INT: integers are kept exactly as written (2^64−1 included). A fraction such as `8.5` becomes `8`,
  ///   which is what the server's `int()` makes of it; the note says so. Text that reads as a whole
  ///   number (`"8"`) becomes that number.
  /// - FLOAT: numbers are kept as written (`0.4000000000000001` too); the server does not round to
  ///   `step` (only the browser's widget does when you type), so neither does this. Text that reads as
  ///   a number becomes that number; NaN and infinities are refused (JSON cannot carry them).
  /// - BOOLEAN: `true`/`false`, and `"true"`/`"false"`, `0`/`1` (the server's `bool("false")` is true,
  ///   so text is read here by meaning, not handed to Python's truthiness).
  /// - STRING: text; a number becomes its text as written.
  /// - COMBO: one of the choices, exactly (the server compares case and all); otherwise an error with
  ///   the nearest choices. Inputs that pick an uploadable file accept any name (the list goes stale
  ///   after an upload; validation checks the file), and so do v3 combos with no listed choices.
  /// - min/max apply to INT and FLOAT, and the error names the allowed range.
  /// - Link-only types (IMAGE, MODEL…) take a link, not a value; `*` takes anything.
  public func coerce(_ value: JSONValue) -> Result<Coercion, ValueError> {
    if case .object(let members) = value, members.count == 1, let wrapped = members["__value__"] {
      return coerce(wrapped)
    }
    switch kind {
    case .int: return coerceInt(value)
    case .float: return coerceFloat(value)
    case .boolean: return coerceBoolean(value)
    case .string: return coerceString(value)
    case .combo(let combo): return coerceCombo(value, combo)
    case .link(let type):
      if type == "*" { return .success(Coercion(value: value)) }
      return .failure(
        ValueError(
          "\(name) takes a link from an output of type \(type), not a value; use `link NODE.\(name) NODE:SLOT`"
        ))
    }
  }

  private var rangeText: String? {
    switch (min, max) {
    case (let lo?, let hi?): "\(Py.numberRepr(lo.text))…\(Py.numberRepr(hi.text))"
    case (let lo?, nil): "at least \(Py.numberRepr(lo.text))"
    case (nil, let hi?): "at most \(Py.numberRepr(hi.text))"
    default: nil
    }
  }

  private func described(_ value: JSONValue) -> String {
    switch value {
    case .string(let s): "\"\(s)\""
    default: value.serialized()
    }
  }

  /// min/max the way the server compares (exactly for integers of any size).
  private func checkRange(_ number: JSONValue, shown: String) -> ValueError? {
    if let lo = options["min"], case .success(true) = Py.less(number, lo, operator: "<", site: .minimum) {
      return ValueError(
        "\(name) = \(shown) is smaller than the minimum \(Py.str(lo)) (allowed \(rangeText ?? "?"))")
    }
    if let hi = options["max"], case .success(true) = Py.less(hi, number, operator: ">", site: .maximum) {
      return ValueError(
        "\(name) = \(shown) is bigger than the maximum \(Py.str(hi)) (allowed \(rangeText ?? "?"))")
    }
    return nil
  }

  private func coerceInt(_ value: JSONValue) -> Result<Coercion, ValueError> {
    let result: Coercion
    switch value {
    case .number(let n) where Py.isIntText(n.text):
      result = Coercion(value: value)
    case .number(let n):
      guard case .success(let whole) = Py.int(value) else {
        return .failure(ValueError("\(name) takes a whole number (INT); \(n.text) is not finite"))
      }
      result = Coercion(
        value: Py.intJSON(whole),
        note: "\(n.text) → \(whole): \(name) takes whole numbers (INT) and ComfyUI truncates toward zero")
    case .string(let s):
      guard let whole = Py.parseIntLiteral(s) else {
        return .failure(ValueError("\(name) takes a whole number (INT); \(described(value)) is not one"))
      }
      result = Coercion(value: Py.intJSON(whole), note: whole == s ? nil : "\(described(value)) → \(whole)")
    default:
      return .failure(ValueError("\(name) takes a whole number (INT), not \(value.typeName)"))
    }
    if let problem = checkRange(result.value, shown: result.value.serialized()) { return .failure(problem) }
    return .success(result)
  }

  private func coerceFloat(_ value: JSONValue) -> Result<Coercion, ValueError> {
    let result: Coercion
    switch value {
    case .number(let n):
      guard Py.parseDouble(n.text).isFinite else {
        return .failure(ValueError("\(name) takes a finite number (FLOAT); \(n.text) is out of range"))
      }
      result = Coercion(value: value)
    case .string(let s):
      guard let x = Py.parseFloatLiteral(s), x.isFinite else {
        return .failure(
          ValueError("\(name) takes a number (FLOAT); \(described(value)) is not a finite number"))
      }
      let trimmed = Py.stripPythonWhitespace(s)
      let number = JSONNumber(trimmed) ?? JSONNumber(uncheckedText: Py.floatRepr(x))
      result = Coercion(
        value: .number(number), note: number.text == s ? nil : "\(described(value)) → \(number.text)")
    default:
      return .failure(ValueError("\(name) takes a number (FLOAT), not \(value.typeName)"))
    }
    if let problem = checkRange(result.value, shown: result.value.serialized()) { return .failure(problem) }
    return .success(result)
  }

  private func coerceBoolean(_ value: JSONValue) -> Result<Coercion, ValueError> {
    switch value {
    case .bool: return .success(Coercion(value: value))
    case .string(let s):
      switch s.lowercased() {
      case "true": return .success(Coercion(value: true, note: "\"\(s)\" → true"))
      case "false": return .success(Coercion(value: false, note: "\"\(s)\" → false"))
      default: break
      }
    case .number(let n) where n.text == "0" || n.text == "1":
      return .success(Coercion(value: .bool(n.text == "1"), note: "\(n.text) → \(n.text == "1")"))
    default: break
    }
    return .failure(ValueError("\(name) takes true or false (BOOLEAN); \(described(value)) is neither"))
  }

  private func coerceString(_ value: JSONValue) -> Result<Coercion, ValueError> {
    switch value {
    case .string: return .success(Coercion(value: value))
    case .number(let n):
      return .success(Coercion(value: .string(n.text), note: "\(n.text) → \"\(n.text)\" (text)"))
    default: return .failure(ValueError("\(name) takes text (STRING), not \(value.typeName)"))
    }
  }

  private func coerceCombo(_ value: JSONValue, _ combo: ComboOptions) -> Result<Coercion, ValueError> {
    if isUpload || (!combo.validatesOptions && combo.options.isEmpty) {
      guard case .string = value else {
        return .failure(ValueError("\(name) takes a file name, not \(value.typeName)"))
      }
      return .success(Coercion(value: value))
    }
    if combo.multiselect, case .array(let picks) = value {
      for pick in picks where !combo.options.contains(where: { Py.equal(pick, $0) }) {
        if case .failure(let problem) = checkChoice(pick, combo) { return .failure(problem) }
      }
      return .success(Coercion(value: value))
    }
    return checkChoice(value, combo)
  }

  private func checkChoice(_ value: JSONValue, _ combo: ComboOptions) -> Result<Coercion, ValueError> {
    if combo.options.contains(where: { Py.equal(value, $0) }) { return .success(Coercion(value: value)) }
    let names = combo.names
    let typed = value.stringValue ?? value.serialized()
    // A value of another JSON type that reads the same as a choice (`8` for "8"): use the choice.
    if let index = names.firstIndex(of: typed), value.stringValue == nil {
      return .success(
        Coercion(value: combo.options[index], note: "\(typed) → \(described(combo.options[index]))"))
    }
    var suggestions: [String] = []
    if let sameIgnoringCase = names.first(where: { $0.lowercased() == typed.lowercased() }) {
      suggestions = [sameIgnoringCase]
    } else {
      suggestions = Suggest.ranked(typed, in: names, limit: 3)
    }
    var message: String
    if names.isEmpty {
      message =
        "\(name) has no choices on this server (the list is empty), so \(described(value)) cannot be used"
    } else {
      message =
        "\(name): \(described(value)) is not one of the \(names.count) choice\(names.count == 1 ? "" : "s")"
      if !suggestions.isEmpty {
        message += "; did you mean \(suggestions.map { "\"\($0)\"" }.joined(separator: ", "))?"
      }
      if names.count <= 8 {
        message += " (choices: \(names.joined(separator: ", ")))"
      } else {
        message += " (`info CLASS` lists them)"
      }
    }
    if !combo.validatesOptions {
      message += "; ComfyUI would accept it and fail when the node runs"
    }
    return .failure(ValueError(message, suggestions: suggestions))
  }
}
