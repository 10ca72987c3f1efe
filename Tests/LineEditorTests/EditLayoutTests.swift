import Testing

@testable import LineEditor

@Suite struct EditLayoutTests {
  /// Widths as `wcwidth` gives them, independent of the machine's locale.
  let width: (Unicode.Scalar) -> Int = DisplayWidth.of

  func layout(
    prompt: String = "comfy> ", _ text: String, cursor: Int? = nil, columns: Int = 80, rows: Int = .max
  ) -> EditLayout {
    let scalars = Array(text.unicodeScalars)
    return EditLayout.compute(
      prompt: EditLayout.parsePrompt(prompt, marker: "\u{1}"), buffer: scalars,
      cursorIndex: cursor ?? scalars.count, columns: columns, rows: rows, width: width)
  }

  func position(_ row: Int, _ column: Int) -> CellPosition { CellPosition(row: row, column: column) }

  @Test func parsesMarkedPromptSequences() {
    let pieces = EditLayout.parsePrompt("\u{1}\u{1B}[32m\u{1}ok\u{1}\u{1B}[0m\u{1}> ", marker: "\u{1}")
    #expect(
      pieces == [
        .literal(sequence: ["\u{1B}", "[", "3", "2", "m"], visible: "o"), .character("k"),
        .literal(sequence: ["\u{1B}", "[", "0", "m"], visible: ">"), .character(" "),
      ])
  }

  @Test func promptParsingStopsWhereLibeditDoes() {
    // Unterminated, or nothing after the closing marker: libedit drops the rest.
    #expect(
      EditLayout.parsePrompt("ab\u{1}\u{1B}[0m", marker: "\u{1}") == [.character("a"), .character("b")])
    #expect(
      EditLayout.parsePrompt("ab\u{1}\u{1B}[0m\u{1}", marker: "\u{1}") == [.character("a"), .character("b")])
    #expect(EditLayout.parsePrompt("", marker: "\u{1}") == [])
  }

  @Test func shortLineStaysOnTheFirstRow() {
    let result = layout("hello", cursor: 2)
    #expect(result.cursor == position(0, 9))
    #expect(result.end == position(0, 12))
    #expect(result.lastTextRow == 0)
  }

  @Test func markedColourSequencesTakeNoColumns() {
    let plain = layout(prompt: "comfy> ", "ab")
    let coloured = layout(
      prompt: LineEditor.nonPrinting("\u{1B}[1;32m") + "comfy>" + LineEditor.nonPrinting("\u{1B}[0m") + " ",
      "ab")
    #expect(coloured == plain)
  }

  @Test func longLineWrapsAtTheTerminalWidth() {
    let text = String(repeating: "x", count: 100)
    let result = layout(text, cursor: 80)
    #expect(result.end == position(1, 27))
    #expect(result.cursor == position(1, 7))
    #expect(result.lastTextRow == 1)
    #expect(layout(String(repeating: "y", count: 200), columns: 80).end == position(2, 47))
  }

  @Test func filledRowPutsTheCursorOnTheNextRow() {
    let result = layout(String(repeating: "x", count: 73))
    #expect(result.end == position(1, 0))
    #expect(result.cursor == position(1, 0))
    #expect(result.lastTextRow == 0)
  }

  @Test func wideCharacterThatDoesNotFitMovesToTheNextRow() {
    // "> " + 7 letters fill 9 of 10 columns; 日 needs 2, so a space pads row 0.
    let result = layout(prompt: "> ", "abcdefg日x", cursor: 7, columns: 10)
    #expect(result.cursor == position(1, 0))
    #expect(result.end == position(1, 3))
    #expect(layout(prompt: "> ", "日本語", columns: 80).end == position(0, 8))
  }

  @Test func combiningMarksTakeNoColumn() {
    #expect(layout(prompt: "", "e\u{301}x").end == position(0, 2))
    #expect(layout(prompt: "", "e\u{301}x", cursor: 2).cursor == position(0, 1))
  }

  @Test func tabsControlsAndUnprintablesAreDrawnLikeLibedit() {
    #expect(layout(prompt: "", "a\tb").end == position(0, 9))
    #expect(layout(prompt: "", "a\u{1}b").end == position(0, 4))  // ^A
    #expect(layout(prompt: "", "\u{378}").end == position(0, 7))  // \U+0378
    #expect(layout(prompt: "", "\u{E0080}").end == position(0, 8))  // \U+E0080
  }

  @Test func newlineInTheBufferStartsARow() {
    // Incremental search shows its own prompt on a row below the line.
    let result = layout("hist\nbck: hi", cursor: 2)
    #expect(result.cursor == position(0, 9))
    #expect(result.end == position(1, 7))
    #expect(result.lastTextRow == 1)
  }

  @Test func rowsStopAtTheScreenHeightLikeLibeditsScrolling() {
    #expect(layout(prompt: "", String(repeating: "x", count: 35), columns: 10, rows: 2).end == position(1, 5))
  }

  @Test func moves() {
    #expect(TerminalMoves.eraseEditArea(cursorRow: 0) == "\r\u{1B}[J")
    #expect(TerminalMoves.eraseEditArea(cursorRow: 2) == "\r\u{1B}[2A\u{1B}[J")
    let wrapped = layout(String(repeating: "x", count: 100), cursor: 10)
    #expect(TerminalMoves.moveToEnd(wrapped) == "\r\n\u{1B}[27C")
    #expect(TerminalMoves.moveBelowEditArea(wrapped) == "\r\n\n")
    let short = layout("ab")
    #expect(TerminalMoves.moveToEnd(short) == "\r\u{1B}[9C")
    #expect(TerminalMoves.moveBelowEditArea(short) == "\r\n")
  }

  @Test func printedTextGetsCarriageReturnsAndAFinalLineBreak() {
    #expect(TerminalMoves.lines("a\nb") == "a\r\nb\r\n")
    #expect(TerminalMoves.lines("done\r\n") == "done\r\n")
    #expect(TerminalMoves.lines("") == "\r\n")
    #expect(TerminalMoves.lines("日本\n\n") == "日本\r\n\r\n")
  }
}
