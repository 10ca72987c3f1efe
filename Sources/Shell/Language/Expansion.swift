import Workflow

/// A word after `$NAME` expansion, in the forms commands need.
public struct Argument: Sendable, Equatable, CustomStringConvertible {
  public enum Kind: Sendable, Equatable {
    /// Unquoted text only.
    case bare
    /// Only quoted parts: always a string.
    case quoted
    /// A JSON list or object.
    case json
    /// Quoted and unquoted parts glued together (`@"Save Image".images`).
    case mixed
  }

  /// The text with quotes removed and escapes decoded: what the user meant.
  public let text: String
  /// The text with quotes kept (variables expanded): what address parsing reads.
  public let raw: String
  public let kind: Kind

  public init(text: String, raw: String, kind: Kind) {
    self.text = text
    self.raw = raw
    self.kind = kind
  }

  public var description: String { raw }
}

/// Looks up `$NAME` while expanding; nil means the variable is not defined.
public typealias VariableLookup = (String) -> String?

extension Word {
  /// Expands `$NAME` and `${NAME}` in unquoted and double-quoted parts; `\$` is a literal `$`.
  public func expand(_ lookup: VariableLookup) throws(ShellError) -> Argument {
    var text = ""
    var raw = ""
    var sawBare = false
    var sawQuoted = false
    var sawJSON = false
    for segment in segments {
      switch segment {
      case .bare(let s):
        let expanded = try Word.substitute(s, lookup, escape: { $0 }, unescapeAll: true)
        text += expanded
        raw += expanded
        sawBare = true
      case .double(let s):
        let inner = try Word.substitute(s, lookup, escape: Word.jsonEscapeInner, unescapeAll: false)
        guard let decoded = try? JSONValue.parse("\"" + inner + "\"").stringValue else {
          throw ShellError(
            "bad escape in \"\(s)\"; inside double quotes use JSON escapes such as \\n, \\\" and \\u00e9")
        }
        text += decoded
        raw += "\"" + inner + "\""
        sawQuoted = true
      case .single(let s):
        text += s
        raw += "'" + s + "'"
        sawQuoted = true
      case .json(let s):
        let expanded = try Word.substituteOutsideStrings(s, lookup)
        text += expanded
        raw += expanded
        sawJSON = true
      }
    }
    let kind: Argument.Kind
    switch (sawBare, sawQuoted, sawJSON) {
    case (false, false, true): kind = .json
    case (false, true, false): kind = .quoted
    case (_, false, false): kind = .bare
    default: kind = .mixed
    }
    return Argument(text: text, raw: raw, kind: kind)
  }

  static func jsonEscapeInner(_ value: String) -> String {
    let quoted = JSONValue.string(value).serialized()
    return String(quoted.dropFirst().dropLast())
  }

  /// Replaces `$NAME`/`${NAME}`; `escape` prepares a value for where it lands.
  static func substitute(
    _ s: String, _ lookup: VariableLookup, escape: (String) -> String, unescapeAll: Bool
  )
    throws(ShellError) -> String
  {
    guard s.contains("$") || (unescapeAll && s.contains("\\")) else { return s }
    var out = ""
    var i = s.startIndex
    while i < s.endIndex {
      let c = s[i]
      if c == "\\", s.index(after: i) < s.endIndex {
        let next = s[s.index(after: i)]
        if next == "$" || unescapeAll {
          out.append(next)
        } else {
          out.append(c)
          out.append(next)
        }
        i = s.index(i, offsetBy: 2)
        continue
      }
      if c == "$" {
        let (name, end) = variableName(in: s, after: i)
        if let name {
          guard let value = lookup(name) else { throw ShellError(undefinedMessage(name)) }
          out += escape(value)
          i = end
          continue
        }
      }
      out.append(c)
      i = s.index(after: i)
    }
    return out
  }

  /// Expands variables in JSON text outside its string literals (where `$` stays literal).
  static func substituteOutsideStrings(_ s: String, _ lookup: VariableLookup) throws(ShellError) -> String {
    guard s.contains("$") else { return s }
    var out = ""
    var inString = false
    var i = s.startIndex
    while i < s.endIndex {
      let c = s[i]
      if inString {
        out.append(c)
        if c == "\\", s.index(after: i) < s.endIndex {
          i = s.index(after: i)
          out.append(s[i])
        } else if c == "\"" {
          inString = false
        }
        i = s.index(after: i)
        continue
      }
      if c == "\"" { inString = true }
      if c == "$" {
        let (name, end) = variableName(in: s, after: i)
        if let name {
          guard let value = lookup(name) else { throw ShellError(undefinedMessage(name)) }
          // A number or JSON literal goes in as is; other text becomes a JSON string.
          out += (try? JSONValue.parse(value)) != nil ? value : JSONValue.string(value).serialized()
          i = end
          continue
        }
      }
      out.append(c)
      i = s.index(after: i)
    }
    return out
  }

  /// The name after a `$` at `dollar`: `$seed`, `${seed}`; nil when none follows (a lone `$` stays).
  static func variableName(in s: String, after dollar: String.Index) -> (String?, String.Index) {
    var i = s.index(after: dollar)
    guard i < s.endIndex else { return (nil, i) }
    if s[i] == "{" {
      guard let close = s[i...].firstIndex(of: "}") else { return (nil, i) }
      let name = String(s[s.index(after: i)..<close])
      return Parser.isVariableName(name) ? (name, s.index(after: close)) : (nil, i)
    }
    let start = i
    guard s[i] == "_" || s[i].isLetter else { return (nil, i) }
    while i < s.endIndex, s[i] == "_" || s[i].isLetter || s[i].isASCII && s[i].isNumber {
      i = s.index(after: i)
    }
    return (String(s[start..<i]), i)
  }

  static func undefinedMessage(_ name: String) -> String {
    "$\(name) is not defined; define it with `let \(name) = VALUE` (write \\$ for a literal $)"
  }
}
