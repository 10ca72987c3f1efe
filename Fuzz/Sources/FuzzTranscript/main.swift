import FuzzSupport
import Shell

/// The transcript reader (`--check`, `--update`): any text either fails with a syntax error or splits
/// into entries, and rewriting it with its own outputs gives a transcript with the same entries.
func fuzzTranscript(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let text = String(decoding: Fuzz.bytes(start, count), as: UTF8.self)
  guard let transcript = try? Transcript(text: text) else { return 0 }
  let outputs = transcript.entries.map(\.expected)
  for line in outputs.joined() {
    _ = OutputMatcher.normalize(line)
    _ = OutputMatcher.matches(expected: line, actual: line)
  }
  let rewritten = transcript.rewritten(with: outputs)
  let again = try? Transcript(text: rewritten)
  let outputsAgain = again?.entries.map(\.expected) ?? []
  let differ = zip(outputs, outputsAgain).enumerated().first { $0.element.0 != $0.element.1 }
  Fuzz.require(
    outputsAgain == outputs,
    "rewritten transcript has other outputs: \(outputs.count) entries, then \(outputsAgain.count); first difference "
      + "at entry \(differ?.offset ?? -1): \(differ.map { "\($0.element.0) → \($0.element.1)" } ?? "")")
  // The same commands, word for word; `#>` lines inside a block are output and are moved after it,
  // so a block's source text (and later line numbers) may change.
  Fuzz.require(
    again?.entries.map { words($0.statement) } == transcript.entries.map { words($0.statement) },
    "rewritten transcript has other commands")
  return 0
}

/// A statement's words, loops included, without its source text and lines.
private func words(_ statement: Statement) -> [String] {
  switch statement {
  case .command(let words, _, _): return [words.map(\.raw).joined(separator: " ")]
  case .forLoop(let variable, let items, let body, _, _):
    return ["for \(variable) in " + items.map(\.raw).joined(separator: " ") + " {"] + body.flatMap(words) + [
      "}"
    ]
  }
}

/// libFuzzer's own `main` calls this where SwiftPM does not rename the program's entry (debug builds).
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  fuzzTranscript(start, count)
}

Fuzz.run(fuzzTranscript)
