/// One piece of a prompt as libedit draws it.
enum PromptPiece: Equatable, Sendable {
  /// A character drawn like any other.
  case character(Unicode.Scalar)
  /// A non-printing sequence (between two marker characters); libedit sends it to the terminal
  /// together with the visible character that follows the closing marker, in that one's cell.
  case literal(sequence: [Unicode.Scalar], visible: Unicode.Scalar)
}

/// A cell on the terminal, relative to the first row and column of the prompt.
struct CellPosition: Equatable, Sendable {
  var row: Int
  var column: Int
}

/// Where libedit puts the cursor and the text on screen. The LineEditor writes its own escape
/// sequences around libedit's display (output above the prompt, completion lists, ^C), so it has
/// to know the rows exactly as libedit's refresh code computes them: this mirrors `re_refresh`,
/// `re_putc`, `re_addc` and `prompt_print` of libedit 3.1.
struct EditLayout: Equatable, Sendable {
  /// The terminal cursor.
  var cursor: CellPosition
  /// The cell after the last character (where the cursor goes at the end of the line).
  var end: CellPosition
  /// The lowest row that shows prompt or text.
  var lastTextRow: Int

  /// Splits a prompt the way libedit's `prompt_print` does: text between two `marker`s is a
  /// non-printing sequence. Like libedit, an unterminated sequence, or one with nothing after
  /// it, ends the prompt there.
  static func parsePrompt(_ prompt: String, marker: Unicode.Scalar) -> [PromptPiece] {
    let scalars = Array(prompt.unicodeScalars)
    var pieces: [PromptPiece] = []
    var index = 0
    while index < scalars.count {
      guard scalars[index] == marker else {
        pieces.append(.character(scalars[index]))
        index += 1
        continue
      }
      let start = index + 1
      var close = start
      while close < scalars.count && scalars[close] != marker { close += 1 }
      guard close + 1 < scalars.count else { break }
      pieces.append(.literal(sequence: Array(scalars[start..<close]), visible: scalars[close + 1]))
      index = close + 2
    }
    return pieces
  }

  /// Lays out `prompt` followed by `buffer` on a terminal `columns` wide and `rows` high, with
  /// the cursor before `buffer[cursorIndex]`. `width` gives a character's columns with the
  /// `wcwidth` convention (-1 = not printable); pass the C library's so the answer matches the
  /// running libedit.
  static func compute(
    prompt: [PromptPiece], buffer: [Unicode.Scalar], cursorIndex: Int, columns: Int,
    rows: Int = .max, width: (Unicode.Scalar) -> Int
  ) -> EditLayout {
    var pen = Pen(columns: max(1, columns), rows: max(1, rows))
    for piece in prompt {
      switch piece {
      case .character(let scalar):
        pen.put(width(scalar))
      case .literal(_, let visible):
        pen.putLiteral(width(visible))
      }
    }
    var cursor: CellPosition?
    for (index, scalar) in buffer.enumerated() {
      if index == cursorIndex {
        let cells = width(scalar)
        // A wide character that does not fit is drawn on the next row, cursor included.
        if cells > 1 && pen.column + cells > pen.columns {
          cursor = CellPosition(row: pen.row + 1, column: 0)
        } else {
          cursor = CellPosition(row: pen.row, column: pen.column)
        }
      }
      pen.add(scalar, width: width(scalar))
    }
    let end = CellPosition(row: pen.row, column: pen.column)
    return EditLayout(cursor: cursor ?? end, end: end, lastTextRow: pen.lastTextRow)
  }

  /// libedit's refresh cursor while it builds its virtual display.
  private struct Pen {
    let columns: Int
    let rows: Int
    var row = 0
    var column = 0
    var lastTextRow = 0

    /// `re_putc(c, 1)`: wide characters that do not fit move to the next row, padding with spaces.
    mutating func put(_ cells: Int) {
      let cells = max(0, cells)
      while column + cells > columns { put(1) }
      if cells > 0 { lastTextRow = max(lastTextRow, row) }
      column += cells
      if column >= columns { nextLine() }
    }

    /// `re_putliteral`: the sequence takes its visible character's cells, without padding.
    mutating func putLiteral(_ cells: Int) {
      guard cells > 0 else { return }
      lastTextRow = max(lastTextRow, row)
      column += cells
      if column >= columns { nextLine() }
    }

    /// `re_addc`: how a buffer character is shown (tabs expanded, controls as ^X,
    /// unprintable characters as \U+XXXX).
    mutating func add(_ scalar: Unicode.Scalar, width: Int) {
      let value = scalar.value
      if value == 0x09 {
        repeat { put(1) } while column % 8 != 0
      } else if value == 0x0A {
        nextLine()
      } else if value < 0x20 || (value >= 0x7F && value < 0xA0) {
        put(1)
        put(1)
      } else if width >= 0 {
        put(width)
      } else {
        for _ in 0..<(value > 0xFFFF ? 8 : 7) { put(1) }
      }
    }

    /// `re_nextline`: past the last screen row libedit scrolls its display instead of growing.
    mutating func nextLine() {
      column = 0
      if row + 1 < rows { row += 1 }
    }
  }
}

/// Escape sequences that move around libedit's edit area (ANSI; every terminal comfysh targets
/// understands them).
enum TerminalMoves {
  /// From the cursor to the first column of the prompt's row, then erase to the end of the screen.
  static func eraseEditArea(cursorRow: Int) -> String {
    "\r" + (cursorRow > 0 ? "\u{1B}[\(cursorRow)A" : "") + "\u{1B}[J"
  }

  /// From the cursor to the first column of the row below all of the edit area. Newlines
  /// (rather than cursor-down) so that the terminal scrolls when the area is at the bottom.
  static func moveBelowEditArea(_ layout: EditLayout) -> String {
    let target = max(layout.lastTextRow, layout.cursor.row)
    return "\r" + String(repeating: "\n", count: target - layout.cursor.row + 1)
  }

  /// From the cursor to the end of the line's text.
  static func moveToEnd(_ layout: EditLayout) -> String {
    let down = max(0, layout.end.row - layout.cursor.row)
    return "\r" + String(repeating: "\n", count: down)
      + (layout.end.column > 0 ? "\u{1B}[\(layout.end.column)C" : "")
  }

  /// Text for printing while the terminal may be in raw mode: bare LF becomes CR LF, and the
  /// text always ends with a line break so the prompt is redrawn on a row of its own.
  static func lines(_ text: String) -> String {
    var result = String.UnicodeScalarView()
    var previous: Unicode.Scalar?
    for scalar in text.unicodeScalars {
      if scalar == "\n" && previous != "\r" { result.append("\r") }
      result.append(scalar)
      previous = scalar
    }
    if previous != "\n" { result.append(contentsOf: "\r\n".unicodeScalars) }
    return String(result)
  }
}
