/// A recorded session read as a notebook: the comments as prose, each command with its output, its
/// recorded failure and the files kept after it (`comfysh render` writes it as HTML or Markdown).
public struct NotebookPage: Sendable {
  public enum Block: Sendable, Equatable {
    /// A comment paragraph, its lines joined.
    case paragraph(String)
    /// Comment lines indented by four spaces or more (a command line to type, a listing).
    case preformatted([String])
    /// A comment line of dashes or equals signs.
    case rule
    case cell(Cell)
  }

  /// One command as the recording holds it (several on a line stay one cell).
  public struct Cell: Sendable, Equatable {
    /// The file line it starts on (1-based).
    public var line: Int
    public var source: [String]
    /// Its `#> ` lines.
    public var output: [String] = []
    /// The message of a command recorded as failed (`# cmd   (failed: …)`).
    public var failure: String?
    /// Its `#@ output` lines.
    public var kept: [KeptOutput] = []
    /// Prompts recorded as finished without files (`#@ no-output`).
    public var promptsWithoutFiles: [String] = []
    /// `#@ output` lines that could not be read, with their line number and why.
    public var unreadable: [(line: Int, reason: String)] = []

    /// Prompt ids this cell queued (`queued ID (#N)` output lines).
    public var queuedPromptIDs: [String] {
      output.compactMap { line in
        guard line.hasPrefix("queued ") else { return nil }
        return line.dropFirst(7).split(separator: " ").first.map(String.init)
      }
    }

    /// True when one of its commands is a `watch`, which shows a prompt's pictures.
    public var watches: Bool {
      source.contains { line in
        line.split(separator: ";").contains { $0.split(separator: " ").first == "watch" }
      }
    }

    /// True when the command failed: recorded as failed, or an `error: ` line in its output.
    public var failed: Bool { failure != nil || output.contains { $0.hasPrefix("error: ") } }

    public static func == (a: Cell, b: Cell) -> Bool {
      a.line == b.line && a.source == b.source && a.output == b.output && a.failure == b.failure
        && a.kept == b.kept && a.promptsWithoutFiles == b.promptsWithoutFiles
        && a.unreadable.map(\.line) == b.unreadable.map(\.line)
    }
  }

  /// The first comment line when it stands alone at the top (`# ComfyUI's API format, …`), else nil.
  public let title: String?
  public let blocks: [Block]

  /// Reads a recording; throws where it does not parse as a comfysh script.
  public init(text: String) throws(SyntaxError) {
    let transcript = try Transcript(text: text)
    var commandLines: [Int: Int] = [:]
    for entry in transcript.entries {
      let first = entry.statement.line - 1
      guard first <= entry.lastLine else { continue }
      for number in first...entry.lastLine {
        commandLines[number] = max(commandLines[number] ?? 0, entry.lastLine)
      }
    }
    var blocks: [Block] = []
    var paragraph: [String] = []
    var listing: [String] = []
    func endProse() {
      if !paragraph.isEmpty { blocks.append(.paragraph(paragraph.joined(separator: " "))) }
      if !listing.isEmpty { blocks.append(.preformatted(listing)) }
      paragraph = []
      listing = []
    }
    func appendToCell(_ change: (inout Cell) -> Void) -> Bool {
      guard case .cell(var cell) = blocks.last else { return false }
      change(&cell)
      blocks[blocks.count - 1] = .cell(cell)
      return true
    }
    let lines = transcript.lines
    var index = 0
    while index < lines.count {
      let line = lines[index]
      if let last = commandLines[index] {
        // A command with the lines it spans (statements sharing a line share the cell).
        endProse()
        let end = min(last, lines.count - 1)
        blocks.append(.cell(Cell(line: index + 1, source: Array(lines[index...end]))))
        index = end + 1
        continue
      }
      defer { index += 1 }
      if let output = Transcript.outputText(line) {
        _ = appendToCell { $0.output.append(output) }
        continue
      }
      if KeptOutput.isAnnotation(line) {
        let number = index + 1
        do {
          let kept = try KeptOutput.parse(line)
          _ = appendToCell { $0.kept.append(kept) }
        } catch {
          _ = appendToCell { $0.unreadable.append((number, error.reason)) }
        }
        continue
      }
      if let id = KeptOutput.promptWithoutFiles(line) {
        _ = appendToCell { $0.promptsWithoutFiles.append(id) }
        continue
      }
      if line.hasPrefix("#@") { continue }
      let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
      guard trimmed.hasPrefix("#") else {
        endProse()
        continue
      }
      var comment = String(trimmed.dropFirst())
      if comment.hasPrefix(" ") { comment.removeFirst() }
      if let (source, message, used) = NotebookPage.failure(comment, following: lines[(index + 1)...]) {
        endProse()
        blocks.append(.cell(Cell(line: index + 1, source: [source], failure: message)))
        index += used
        continue
      }
      if comment.allSatisfy({ $0 == " " }) {
        endProse()
      } else if comment.count >= 3, comment.allSatisfy({ $0 == "-" || $0 == "=" }) {
        endProse()
        blocks.append(.rule)
      } else if comment.hasPrefix("    ") {
        if !paragraph.isEmpty { endProse() }
        listing.append(String(comment.dropFirst(4)))
      } else {
        if !listing.isEmpty { endProse() }
        paragraph.append(comment.trimmingSpaces)
      }
    }
    endProse()
    // A lone first comment line above everything else is the page's title.
    let second = lines.count > 1 ? lines[1].trimmingSpaces : ""
    if case .paragraph(let first) = blocks.first, lines.first?.hasPrefix("#") == true,
      second.isEmpty || second == "#"
    {
      title = first
      blocks.removeFirst()
    } else {
      title = nil
    }
    self.blocks = blocks
  }

  /// The cells, in order.
  public var cells: [Cell] {
    blocks.compactMap { if case .cell(let cell) = $0 { cell } else { nil } }
  }

  /// `cmd   (failed: message)`, whose message may go on in `#   ` lines: the command, the message,
  /// and how many following lines it used.
  static func failure(_ comment: String, following: ArraySlice<String>) -> (String, String, Int)? {
    guard let marker = comment.firstRange(of: "   (failed: ") else { return nil }
    let source = String(comment[..<marker.lowerBound])
    var message = String(comment[marker.upperBound...])
    var used = 0
    var rest = following.makeIterator()
    while !message.hasSuffix(")"), let next = rest.next(), next.hasPrefix("#   ") {
      message += "\n" + next.dropFirst(4)
      used += 1
    }
    guard message.hasSuffix(")") else { return nil }
    return (source, String(message.dropLast()), used)
  }
}
