/// Reads command lines and scripts (Docs/guide.md, Scripts): one command per line or `;`-separated, `#` comments,
/// `"…"` (JSON escapes), `'…'` (literal), JSON values `[…]`/`{…}`, and `for NAME in … { … }` blocks.
public struct Parser {
  private let chars: [Character]
  private var index = 0
  private var line: Int
  /// How many `{` blocks are open where the parser is.
  private var depth = 0
  /// Deeper `for` nesting is refused: no script needs it, and each level costs stack and a copy of its text.
  public static let maximumBlockDepth = 64

  /// Parses a whole script or command line; `firstLine` numbers the lines for messages.
  public static func parse(_ text: String, firstLine: Int = 1) throws(SyntaxError) -> [Statement] {
    var parser = Parser(chars: Array(text), line: firstLine)
    let statements = try parser.parseStatements(closingLine: nil)
    return statements
  }

  private init(chars: [Character], line: Int) {
    self.chars = chars
    self.line = line
  }

  /// Statements until the end, or until a `}` word when inside a block opened on `closingLine`.
  private mutating func parseStatements(closingLine: Int?) throws(SyntaxError) -> [Statement] {
    var statements: [Statement] = []
    while true {
      skipBlanksAndSeparators()
      guard index < chars.count else {
        if let closingLine {
          throw SyntaxError(
            message: "the { opened on line \(closingLine) is not closed; end the block with }",
            line: closingLine,
            isIncomplete: true)
        }
        return statements
      }
      if chars[index] == "#" {
        skipComment()
        continue
      }
      if closingLine != nil, chars[index] == "}", isWordEnd(index + 1) {
        index += 1
        return statements
      }
      if chars[index] == "}" && isWordEnd(index + 1) {
        throw SyntaxError(message: "unexpected }: there is no open { block", line: line, isIncomplete: false)
      }
      statements.append(try parseStatement())
    }
  }

  private mutating func parseStatement() throws(SyntaxError) -> Statement {
    let startLine = line
    let startIndex = index
    var words: [Word] = []
    var isFor = false
    while true {
      skipBlanks()
      guard index < chars.count else { break }
      let c = chars[index]
      // Any line break ends the command: "\r\n" (a Windows file) and a vertical tab are one Character
      // each that is not "\n", and taking them for a word's end made an empty word for ever.
      if c.isNewline || c == ";" { break }
      if c == "#" {
        skipComment()
        break
      }
      if c == "}" && isWordEnd(index + 1) { break }
      if words.isEmpty { isFor = peekWord() == "for" }
      if isFor && c == "{" && words.count >= 3 {
        return try parseForBlock(header: words, startLine: startLine, startIndex: startIndex)
      }
      words.append(try parseWord())
    }
    let source = String(chars[startIndex..<index]).trimmingTrailingBlanks()
    if isFor {
      throw SyntaxError(
        message: "for needs a block: for NAME in VALUE… { COMMANDS }", line: startLine, isIncomplete: false)
    }
    return .command(words: words, line: startLine, source: source)
  }

  private mutating func parseForBlock(
    header: [Word], startLine: Int, startIndex: Int
  ) throws(SyntaxError)
    -> Statement
  {
    guard header.count >= 3, case .bare(let name) = header[1].segments.first, header[1].segments.count == 1,
      Parser.isVariableName(name), header[2].isBare("in")
    else {
      throw SyntaxError(
        message: "write a loop as: for NAME in VALUE… { COMMANDS } (NAME: letters, digits, _)",
        line: startLine,
        isIncomplete: false)
    }
    guard depth < Parser.maximumBlockDepth else {
      throw SyntaxError(
        message:
          "for blocks nest deeper than \(Parser.maximumBlockDepth) levels; split the script or use fewer loops",
        line: startLine, isIncomplete: false)
    }
    index += 1  // the {
    depth += 1
    let body = try parseStatements(closingLine: line)
    depth -= 1
    let source = String(chars[startIndex..<index])
    return .forLoop(
      variable: name, items: Array(header.dropFirst(3)), body: body, line: startLine, source: source)
  }

  private func peekWord() -> String {
    var i = index
    var text = ""
    while i < chars.count, !chars[i].isWhitespace, chars[i] != ";" {
      text.append(chars[i])
      i += 1
    }
    return text
  }

  /// One argument: glued segments up to white space, `;` or the end of the line.
  private mutating func parseWord() throws(SyntaxError) -> Word {
    let start = index
    var segments: [Word.Segment] = []
    var bare = ""
    func flushBare() {
      if !bare.isEmpty {
        segments.append(.bare(bare))
        bare = ""
      }
    }
    while index < chars.count {
      let c = chars[index]
      if c.isWhitespace || c == ";" { break }
      switch c {
      case "\"":
        flushBare()
        segments.append(.double(try readQuoted("\"")))
      case "'":
        flushBare()
        segments.append(.single(try readQuoted("'")))
      case "[", "{":
        // A JSON value starts a word, or follows `NAME=` (`add SaveImage images=["11",0]`).
        if index == start || (segments.isEmpty && bare.hasSuffix("=") && !bare.hasSuffix("\\=")) {
          flushBare()
          segments.append(.json(try readJSON()))
        } else {
          bare.append(c)
          index += 1
        }
      case "\\" where index + 1 < chars.count && !chars[index + 1].isNewline:
        // A backslash outside quotes keeps the next character literally (`\;`, `\#`, `\$`).
        bare.append(c)
        bare.append(chars[index + 1])
        index += 2
      default:
        bare.append(c)
        index += 1
      }
    }
    flushBare()
    return Word(segments: segments, raw: String(chars[start..<index]))
  }

  /// The text between quotes, raw (escapes are decoded after `$NAME` expansion).
  private mutating func readQuoted(_ quote: Character) throws(SyntaxError) -> String {
    let openLine = line
    index += 1
    var text = ""
    while index < chars.count {
      let c = chars[index]
      if c == quote {
        index += 1
        return text
      }
      if c.isNewline {
        break
      }
      // An escape never takes a line break along: a quote ends on its line (and lines stay counted).
      if c == "\\" && quote == "\"" && index + 1 < chars.count && !chars[index + 1].isNewline {
        text.append(c)
        text.append(chars[index + 1])
        index += 2
        continue
      }
      text.append(c)
      index += 1
    }
    let hint = quote == "\"" ? " (write a line break inside a string as \\n)" : ""
    throw SyntaxError(
      message: "the \(quote) quote is not closed on this line\(hint)", line: openLine, isIncomplete: false)
  }

  /// A balanced JSON list or object as typed; strings inside it may contain brackets.
  private mutating func readJSON() throws(SyntaxError) -> String {
    let start = index
    let openLine = line
    var depth = 0
    var inString = false
    while index < chars.count {
      let c = chars[index]
      if c.isNewline && !inString {
        break
      }
      if inString {
        if c == "\\" {
          if index + 1 < chars.count && chars[index + 1].isNewline { break }
          index += 2
          continue
        }
        if c == "\"" { inString = false }
        if c.isNewline { break }
      } else {
        switch c {
        case "\"": inString = true
        case "[", "{": depth += 1
        case "]", "}":
          depth -= 1
          if depth == 0 {
            index += 1
            return String(chars[start..<index])
          }
        default: break
        }
      }
      index += 1
    }
    let opener = chars[start]
    throw SyntaxError(
      message: "the \(opener) of a JSON value is not closed on this line", line: openLine, isIncomplete: false
    )
  }

  private func isWordEnd(_ i: Int) -> Bool {
    i >= chars.count || chars[i].isWhitespace || chars[i] == ";"
  }

  private mutating func skipBlanks() {
    while index < chars.count, chars[index].isWhitespace, !chars[index].isNewline { index += 1 }
    // A backslash at the end of a line continues the command on the next one.
    if index + 1 < chars.count, chars[index] == "\\", chars[index + 1].isNewline {
      index += 2
      line += 1
      skipBlanks()
    }
  }

  private mutating func skipBlanksAndSeparators() {
    while index < chars.count {
      let c = chars[index]
      if c.isNewline {
        line += 1
      } else if !(c.isWhitespace || c == ";") {
        return
      }
      index += 1
    }
  }

  private mutating func skipComment() {
    while index < chars.count, !chars[index].isNewline { index += 1 }
  }

  /// Letters, digits and `_`, not starting with a digit.
  public static func isVariableName(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else {
      return false
    }
    return name.unicodeScalars.allSatisfy {
      $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)
    }
  }
}

extension String {
  func trimmingTrailingBlanks() -> String {
    var s = Substring(self)
    while let last = s.last, last.isWhitespace { s = s.dropLast() }
    return String(s)
  }
}
