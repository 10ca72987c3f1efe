/// What a Tab press does with the completer's answer.
enum CompletionAction: Equatable, Sendable {
  /// Nothing to complete: beep.
  case none
  /// Delete `scalarCount` Unicode scalars before the cursor (libedit counts wide characters,
  /// which are scalars), then insert `text`.
  case replace(scalarCount: Int, text: String)
  /// Several candidates and nothing new to insert: show them.
  case list([String])
}

/// The pure part of Tab completion, kept apart from libedit so it can be tested.
enum CompletionPlanner {
  /// Decides the edit for `completion`, which the completer computed for `textBeforeCursor`.
  /// One candidate replaces the word and adds a space (not after a `/`, or when the completer says
  /// the word goes on);
  /// several insert their longest common prefix, or are listed when that adds nothing.
  static func plan(textBeforeCursor: String, completion: Completion) -> CompletionAction {
    guard completion.start >= 0, completion.start <= textBeforeCursor.count else { return .none }
    var seen = Set<String>()
    let candidates = completion.candidates.filter { !$0.isEmpty && seen.insert($0).inserted }
    let wordStart = textBeforeCursor.index(textBeforeCursor.startIndex, offsetBy: completion.start)
    let word = textBeforeCursor[wordStart...]
    let wordScalars = word.unicodeScalars.count

    switch candidates.count {
    case 0:
      return .none
    case 1:
      let candidate = candidates[0]
      let text = candidate.hasSuffix("/") || !completion.appendSpace ? candidate : candidate + " "
      if text == word { return .none }
      return .replace(scalarCount: wordScalars, text: text)
    default:
      let prefix = longestCommonPrefix(candidates)
      // A shorter prefix would delete what the user typed (the completer may match
      // case-insensitively); an equal one adds nothing: then show the choices.
      if prefix.count >= word.count && prefix != word {
        return .replace(scalarCount: wordScalars, text: prefix)
      }
      return .list(candidates)
    }
  }

  /// The longest string that every word starts with, compared by Character.
  static func longestCommonPrefix(_ words: [String]) -> String {
    guard var prefix = words.first.map({ Substring($0) }) else { return "" }
    for word in words.dropFirst() {
      var common = prefix.startIndex
      var other = word.startIndex
      while common < prefix.endIndex && other < word.endIndex && prefix[common] == word[other] {
        common = prefix.index(after: common)
        other = word.index(after: other)
      }
      prefix = prefix[..<common]
      if prefix.isEmpty { break }
    }
    return String(prefix)
  }

  /// Lays out `items` in columns for a terminal `width` columns wide, like bash and ls: filled
  /// top to bottom, then left to right, two spaces between columns, no trailing spaces.
  static func columns(_ items: [String], width: Int) -> [String] {
    guard !items.isEmpty else { return [] }
    let widths = items.map { DisplayWidth.of($0) }
    let widest = widths.max() ?? 0
    let gap = 2
    let fit = max(1, (max(1, width) + gap) / (widest + gap))
    let rowCount = (items.count + fit - 1) / fit
    let columnCount = (items.count + rowCount - 1) / rowCount
    var lines: [String] = []
    for row in 0..<rowCount {
      var line = ""
      for column in 0..<columnCount {
        let index = column * rowCount + row
        guard index < items.count else { break }
        let isLast = column == columnCount - 1 || index + rowCount >= items.count
        line += items[index]
        if !isLast { line += String(repeating: " ", count: widest + gap - widths[index]) }
      }
      lines.append(line)
    }
    return lines
  }
}
