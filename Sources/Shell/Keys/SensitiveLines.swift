import ComfyClient

/// Which typed lines must stay out of the history file: lines that hold a key. comfysh never asks
/// for a key on a command line, so such a line is a mistake (`key add work comfyui-…`) or a key
/// pasted at the wrong prompt.
enum SensitiveLines {
  /// True when `line` holds one of `secrets`, holds something shaped like a Comfy API key, or is a
  /// `key add` with more than a name (the key typed on the line). Works on lines that do not parse.
  static func isSensitive(_ line: String, secrets: [String]) -> Bool {
    if KeyMasking(secrets: secrets).apply(line) != line { return true }
    if let statements = try? Parser.parse(line) {
      return statements.contains(where: hasKeyOnLine)
    }
    // An unfinished line (an open quote or block): judge its bare words.
    let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
    return isKeyAddWithSecret(words)
  }

  private static func hasKeyOnLine(_ statement: Statement) -> Bool {
    switch statement {
    case .command(let words, _, _):
      return isKeyAddWithSecret(words.map(\.raw))
    case .forLoop(_, _, let body, _, _):
      return body.contains(where: hasKeyOnLine)
    }
  }

  /// `key add NAME SOMETHING`: anything positional after the name, or a name shaped like a key.
  static func isKeyAddWithSecret(_ words: [String]) -> Bool {
    guard words.count >= 3, words[0] == "key" || words[0] == "keys", words[1] == "add" else { return false }
    let positional = KeyAddCommand.positionalWords(Array(words.dropFirst(2)))
    guard let name = positional.first else { return false }
    return positional.count > 1 || name.lowercased().hasPrefix(KeyRules.expectedPrefix)
  }
}
