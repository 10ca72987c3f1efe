import Workflow

extension Session {
  /// Reads a value as Docs/guide.md, Values says: numbers exactly as written, `"…"`/`'…'`/bare words as strings,
  /// `true`/`false`/`null`, JSON lists and objects (a 2-element `["id", slot]` list is a link),
  /// and `@file.txt` for a file's contents.
  public func inputValue(_ argument: Argument) throws -> InputValue {
    switch argument.kind {
    case .quoted, .mixed:
      return .value(.string(argument.text))
    case .json:
      let parsed: JSONValue
      do {
        parsed = try JSONValue.parse(argument.text)
      } catch {
        throw ShellError(
          "\(argument.text) is not valid JSON (\(error.message), column \(error.column)); quote it to set text"
        )
      }
      if case .array(let elements) = parsed {
        let stored = InputValue(stored: parsed)
        if stored.isLink { return stored }
        if elements.count == 2, case .number = elements[0], case .number = elements[1] {
          throw ShellError(
            "\(argument.text) looks like a link with a number for the node; a link names the node as a string: "
              + "[\"\(elements[0].serialized())\", \(elements[1].serialized())] (or use link INPUT NODE:SLOT)"
          )
        }
        return .value(parsed)
      }
      return .value(parsed)
    case .bare:
      let text = argument.text
      switch text {
      case "true": return .value(.bool(true))
      case "false": return .value(.bool(false))
      case "null": return .value(.null)
      default: break
      }
      if let number = JSONNumber(text) { return .value(.number(number)) }
      if text.hasPrefix("@") && text.count > 1 {
        return .value(.string(try readValueFile(String(text.dropFirst()))))
      }
      return .value(.string(text))
    }
  }

  /// A file's text for `@file.txt`; one trailing line break is dropped, as editors add one.
  func readValueFile(_ path: String) throws -> String {
    let resolved = resolvePath(path)
    var text: String
    do {
      text = try FileIO.readText(resolved)
    } catch {
      throw ShellError(
        "cannot read @\(path): \(error.reason) (to set text that starts with @, quote it: \"@\(path)\")")
    }
    if text.hasSuffix("\r\n") {
      text.removeLast()
    } else if text.hasSuffix("\n") {
      text.removeLast()
    }
    return text
  }
}
