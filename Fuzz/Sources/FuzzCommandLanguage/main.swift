import FuzzSupport
import Shell

/// The command language: parsing any text (deep `for` blocks, quotes, JSON words) and expanding every
/// word with `$NAME` set or unset.
func fuzzCommandLanguage(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let text = String(decoding: Fuzz.bytes(start, count), as: UTF8.self)
  guard let statements = try? Parser.parse(text) else { return 0 }
  let variables = ["x": "1", "seed": "42 43", "name": "a \"b\" $x", "empty": ""]
  expand(statements, variables: variables)
  return 0
}

private func expand(_ statements: [Statement], variables: [String: String]) {
  for statement in statements {
    switch statement {
    case .command(let words, _, _):
      for word in words { _ = try? word.expand { variables[$0] } }
    case .forLoop(let variable, let items, let body, _, _):
      var inner = variables
      for item in items { inner[variable] = (try? item.expand { variables[$0] })?.text ?? "" }
      expand(body, variables: inner)
    }
  }
}

/// libFuzzer's own `main` calls this where SwiftPM does not rename the program's entry (debug builds).
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  fuzzCommandLanguage(start, count)
}

Fuzz.run(fuzzCommandLanguage)
