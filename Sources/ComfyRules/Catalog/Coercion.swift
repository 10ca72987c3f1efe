import Workflow

/// Why a value does not fit an input: the facts (which input, which value, which range or choices),
/// so a caller can explain it in its own words; `description` says it plainly.
public enum ValueProblem: Error, Sendable, Equatable, CustomStringConvertible {
  /// The kinds of value a check may have wanted.
  public enum Wanted: String, Sendable, Equatable {
    case int = "INT"
    case float = "FLOAT"
    case boolean = "BOOLEAN"
    case string = "STRING"
  }

  /// A link-only input (`IMAGE`, `MODEL`…) was given a value.
  case takesLink(input: String, type: String)
  /// A value of a JSON type the input cannot take (`INT` given a list).
  case wrongType(input: String, wanted: Wanted, value: JSONValue)
  /// Text or a number that does not read as what the input takes (`"wide"` for an INT).
  case unreadable(input: String, wanted: Wanted, value: JSONValue)
  /// A number that is not finite (or does not fit a float) where a finite one is needed.
  case notFinite(input: String, wanted: Wanted, text: String)
  /// Below `min` or above `max`; `shown` is the value as it would be sent.
  case belowMinimum(input: String, shown: String, minimum: JSONValue, maximum: JSONValue?)
  case aboveMaximum(input: String, shown: String, minimum: JSONValue?, maximum: JSONValue)
  /// An input that picks a file was given something that is not a name.
  case notAFileName(input: String, value: JSONValue)
  /// Not one of a COMBO's choices; `suggestions` are the nearest ones, and `checkedByServer` says
  /// whether the server refuses it before running (v1 lists) or only fails when the node runs.
  case notAChoice(
    input: String, value: JSONValue, choices: [String], suggestions: [String], checkedByServer: Bool)

  /// The input the problem is about.
  public var input: String {
    switch self {
    case .takesLink(let input, _), .wrongType(let input, _, _), .unreadable(let input, _, _),
      .notFinite(let input, _, _), .belowMinimum(let input, _, _, _), .aboveMaximum(let input, _, _, _),
      .notAFileName(let input, _), .notAChoice(let input, _, _, _, _):
      input
    }
  }

  /// Close choices for a COMBO value, nearest first (empty for other problems).
  public var suggestions: [String] {
    if case .notAChoice(_, _, _, let suggestions, _) = self { return suggestions }
    return []
  }

  public var description: String { text(choicesHint: nil) }

  /// The problem in words; `choicesHint` is added where a long list of choices is left out (a caller
  /// may name a command that lists them).
  public func text(choicesHint: String?) -> String {
    switch self {
    case .takesLink(let input, let type):
      return "\(input) takes a link from an output of type \(type), not a value"
    case .wrongType(let input, let wanted, let value):
      return "\(input) takes \(Self.phrase(wanted)), not \(value.typeName)"
    case .unreadable(let input, let wanted, let value):
      switch wanted {
      case .int: return "\(input) takes a whole number (INT); \(Self.shown(value)) is not one"
      case .float: return "\(input) takes a number (FLOAT); \(Self.shown(value)) is not a finite number"
      case .boolean: return "\(input) takes true or false (BOOLEAN); \(Self.shown(value)) is neither"
      case .string: return "\(input) takes text (STRING); \(Self.shown(value)) is not text"
      }
    case .notFinite(let input, let wanted, let text):
      if wanted == .int { return "\(input) takes a whole number (INT); \(text) is not finite" }
      return "\(input) takes a finite number (FLOAT); \(text) is out of range"
    case .belowMinimum(let input, let shown, let minimum, let maximum):
      return
        "\(input) = \(shown) is smaller than the minimum \(Py.str(minimum)) (allowed \(Self.range(minimum, maximum)))"
    case .aboveMaximum(let input, let shown, let minimum, let maximum):
      return
        "\(input) = \(shown) is bigger than the maximum \(Py.str(maximum)) (allowed \(Self.range(minimum, maximum)))"
    case .notAFileName(let input, let value):
      return "\(input) takes a file name, not \(value.typeName)"
    case .notAChoice(let input, let value, let choices, let suggestions, let checkedByServer):
      var message: String
      if choices.isEmpty {
        message =
          "\(input) has no choices on this server (the list is empty), so \(Self.shown(value)) cannot be used"
      } else {
        message =
          "\(input): \(Self.shown(value)) is not one of the \(choices.count) choice\(choices.count == 1 ? "" : "s")"
        if !suggestions.isEmpty {
          message += "; did you mean \(suggestions.map { "\"\($0)\"" }.joined(separator: ", "))?"
        }
        if choices.count <= 8 {
          message += " (choices: \(choices.joined(separator: ", ")))"
        } else if let choicesHint {
          message += " (\(choicesHint))"
        }
      }
      if !checkedByServer { message += "; ComfyUI would accept it and fail when the node runs" }
      return message
    }
  }

  private static func phrase(_ wanted: Wanted) -> String {
    switch wanted {
    case .int: "a whole number (INT)"
    case .float: "a number (FLOAT)"
    case .boolean: "true or false (BOOLEAN)"
    case .string: "text (STRING)"
    }
  }

  private static func shown(_ value: JSONValue) -> String {
    if case .string(let s) = value { return "\"\(s)\"" }
    return value.serialized()
  }

  private static func range(_ minimum: JSONValue?, _ maximum: JSONValue?) -> String {
    let lo = minimum?.numberValue.map { Py.numberRepr($0.text) }
    let hi = maximum?.numberValue.map { Py.numberRepr($0.text) }
    switch (lo, hi) {
    case (let lo?, let hi?): return "\(lo)…\(hi)"
    case (let lo?, nil): return "at least \(lo)"
    case (nil, let hi?): return "at most \(hi)"
    default: return "?"
    }
  }
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
  /// Checks and converts a value for `set` as ComfyUI would read it (Docs/guide.md, Values); see `InputSpec.coerce`.
  public func coerce(_ value: JSONValue, for input: InputSpec) -> Result<JSONValue, ValueProblem> {
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
  public func coerce(_ value: JSONValue) -> Result<Coercion, ValueProblem> {
    if case .object(let members) = value, members.count == 1, let wrapped = members["__value__"] {
      return coerce(wrapped)
    }
    switch kind {
    case .int: return coerceInt(value)
    case .float: return coerceFloat(value)
    case .boolean: return coerceBoolean(value)
    case .string: return coerceString(value)
    case .combo(let combo): return coerceCombo(value, combo)
    case .dynamicCombo(let combo):
      return coerceCombo(
        value, ComboOptions(options: combo.keys.map(JSONValue.string), validatesOptions: true))
    case .autogrow: return .failure(.takesLink(input: name, type: kind.typeName))
    case .link(let type):
      if type == "*" { return .success(Coercion(value: value)) }
      return .failure(.takesLink(input: name, type: type))
    }
  }

  private func described(_ value: JSONValue) -> String {
    switch value {
    case .string(let s): "\"\(s)\""
    default: value.serialized()
    }
  }

  /// min/max the way the server compares (exactly for integers of any size).
  private func checkRange(_ number: JSONValue, shown: String) -> ValueProblem? {
    if let lo = options["min"], case .success(true) = Py.less(number, lo, operator: "<", site: .minimum) {
      return .belowMinimum(input: name, shown: shown, minimum: lo, maximum: options["max"])
    }
    if let hi = options["max"], case .success(true) = Py.less(hi, number, operator: ">", site: .maximum) {
      return .aboveMaximum(input: name, shown: shown, minimum: options["min"], maximum: hi)
    }
    return nil
  }

  private func coerceInt(_ value: JSONValue) -> Result<Coercion, ValueProblem> {
    let result: Coercion
    switch value {
    case .number(let n) where Py.isIntText(n.text):
      result = Coercion(value: value)
    case .number(let n):
      guard case .success(let whole) = Py.int(value) else {
        return .failure(.notFinite(input: name, wanted: .int, text: n.text))
      }
      result = Coercion(
        value: Py.intJSON(whole),
        note: "\(n.text) → \(whole): \(name) takes whole numbers (INT) and ComfyUI truncates toward zero")
    case .string(let s):
      guard let whole = Py.parseIntLiteral(s) else {
        return .failure(.unreadable(input: name, wanted: .int, value: value))
      }
      result = Coercion(value: Py.intJSON(whole), note: whole == s ? nil : "\(described(value)) → \(whole)")
    default:
      return .failure(.wrongType(input: name, wanted: .int, value: value))
    }
    if let problem = checkRange(result.value, shown: result.value.serialized()) { return .failure(problem) }
    return .success(result)
  }

  private func coerceFloat(_ value: JSONValue) -> Result<Coercion, ValueProblem> {
    let result: Coercion
    switch value {
    case .number(let n):
      guard Py.parseDouble(n.text).isFinite else {
        return .failure(.notFinite(input: name, wanted: .float, text: n.text))
      }
      result = Coercion(value: value)
    case .string(let s):
      guard let x = Py.parseFloatLiteral(s), x.isFinite else {
        return .failure(.unreadable(input: name, wanted: .float, value: value))
      }
      let trimmed = Py.stripPythonWhitespace(s)
      let number = JSONNumber(trimmed) ?? JSONNumber(uncheckedText: Py.floatRepr(x))
      result = Coercion(
        value: .number(number), note: number.text == s ? nil : "\(described(value)) → \(number.text)")
    default:
      return .failure(.wrongType(input: name, wanted: .float, value: value))
    }
    if let problem = checkRange(result.value, shown: result.value.serialized()) { return .failure(problem) }
    return .success(result)
  }

  private func coerceBoolean(_ value: JSONValue) -> Result<Coercion, ValueProblem> {
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
    return .failure(.unreadable(input: name, wanted: .boolean, value: value))
  }

  private func coerceString(_ value: JSONValue) -> Result<Coercion, ValueProblem> {
    switch value {
    case .string: return .success(Coercion(value: value))
    case .number(let n):
      return .success(Coercion(value: .string(n.text), note: "\(n.text) → \"\(n.text)\" (text)"))
    default: return .failure(.wrongType(input: name, wanted: .string, value: value))
    }
  }

  private func coerceCombo(_ value: JSONValue, _ combo: ComboOptions) -> Result<Coercion, ValueProblem> {
    if isUpload || (!combo.validatesOptions && combo.options.isEmpty) {
      guard case .string = value else {
        return .failure(.notAFileName(input: name, value: value))
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

  private func checkChoice(_ value: JSONValue, _ combo: ComboOptions) -> Result<Coercion, ValueProblem> {
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
    return .failure(
      .notAChoice(
        input: name, value: value, choices: names, suggestions: suggestions,
        checkedByServer: combo.validatesOptions))
  }
}
