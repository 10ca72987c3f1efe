import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// What Tab completion may look at: a copy of the session's state taken after each command, so the
/// editor thread can complete without touching the session.
public struct CompletionContext: Sendable {
  public var workflow: Workflow
  /// Input names of a class with a node's values (a selected option's sub-inputs, the next autogrow
  /// slot), from the catalog; nil without one.
  public var classInputs: @Sendable (String, JSONObject) -> [String]? = { _, _ in nil }
  /// Output names per class from the catalog.
  public var classOutputs: @Sendable (String) -> [String]? = { _ in nil }
  /// Choices for a class's input given a node's values (COMBO lists, option keys, true/false).
  public var inputChoices: @Sendable (String, String, JSONObject) -> [String]? = { _, _, _ in nil }
  /// Every class name (for `add`, `info`).
  public var classNames: [String] = []
  /// The session's names by kind (`keys`, `servers`), for `name(KIND)` and `word(_, names: KIND)`.
  public var names: [String: [String]] = [:]
  public var variables: [String] = []
  public var baseFolder: String?
  /// Command names in `help` order, and what each argument position holds.
  public var commandNames: [String]
  public var commandKinds: [String: [ArgumentKind]]

  @MainActor
  public init(workflow: Workflow) {
    self.workflow = workflow
    (commandNames, commandKinds) = CommandRegistry.completionTable()
  }
}

/// The word being completed and its candidates; each candidate replaces the whole word.
public struct CompletionResult: Sendable, Equatable {
  /// Character offset of the word in the text before the cursor.
  public var start: Int
  public var candidates: [String]
  /// False when a unique candidate should not be followed by a space (`11.`, `11:`, `dir/`).
  public var appendSpace: Bool

  public init(start: Int, candidates: [String], appendSpace: Bool = true) {
    self.start = start
    self.candidates = candidates
    self.appendSpace = appendSpace
  }
}

/// Tab completion for the command language: commands, node ids, `@titles`, input names, output slots,
/// class names, values and file paths.
public enum Completer {
  public static func complete(_ text: String, context: CompletionContext) -> CompletionResult {
    let words = splitWords(text)
    let current = words.last ?? (start: text.count, text: "")
    let previous = words.dropLast()
    guard let commandWord = previous.first else {
      let names = context.commandNames + ["for"]
      return result(current, names.filter { $0.hasPrefix(current.text) })
    }
    if commandWord.text == "for" { return CompletionResult(start: current.start, candidates: []) }
    let command = context.commandKinds[commandWord.text]
    guard let kinds = command, !kinds.isEmpty else {
      return CompletionResult(start: current.start, candidates: [])
    }
    if current.text.hasPrefix("$") {
      return result(current, context.variables.map { "$" + $0 }.filter { $0.hasPrefix(current.text) })
    }
    // Positions skip flags (`rm --force 11`) and `as ID` of add.
    let positional = previous.dropFirst().filter { !$0.text.hasPrefix("-") }
    let index = positional.count
    let kind = kinds[min(index, kinds.count - 1)]
    switch kind {
    case .node:
      return result(current, nodeCandidates(current.text, context, suffix: ""))
    case .input:
      return inputCandidates(current, context)
    case .output:
      return outputCandidates(current, context)
    case .path:
      return pathCandidates(current, context)
    case .className:
      return result(current, context.classNames.filter { $0.hasPrefix(current.text) })
    case .command:
      return result(current, context.commandNames.filter { $0.hasPrefix(current.text) })
    case .word(let words, let kind):
      let names = kind.flatMap { context.names[$0] } ?? []
      return result(current, (words + names).filter { $0.hasPrefix(current.text) })
    case .name(let kind):
      return result(current, (context.names[kind] ?? []).filter { $0.hasPrefix(current.text) })
    case .value:
      return valueCandidates(current, input: positional.last?.text, context)
    case .text:
      return CompletionResult(start: current.start, candidates: [])
    }
  }

  private static func result(
    _ word: (start: Int, text: String), _ candidates: [String], appendSpace: Bool = true
  )
    -> CompletionResult
  {
    var seen = Set<String>()
    let unique = candidates.filter { seen.insert($0).inserted }
    return CompletionResult(start: word.start, candidates: unique, appendSpace: appendSpace)
  }

  /// Node ids, or `@titles` when the word starts with `@`; `suffix` is `.` or `:` for addresses.
  static func nodeCandidates(_ prefix: String, _ context: CompletionContext, suffix: String) -> [String] {
    if prefix.hasPrefix("@") {
      return context.workflow.nodes.values.compactMap(\.title).map { NodeRef.title($0).description + suffix }
        .filter { $0.hasPrefix(prefix) || $0.lowercased().hasPrefix(prefix.lowercased()) }
    }
    return context.workflow.nodes.keys.map { NodeRef.id($0).description + suffix }.filter {
      $0.hasPrefix(prefix)
    }
  }

  /// `11.` → `11.prompt`, `11.seed`…; before the dot, node ids followed by `.`.
  static func inputCandidates(
    _ word: (start: Int, text: String), _ context: CompletionContext
  ) -> CompletionResult {
    if let split = nodeSplit(word.text, separator: "."), let id = try? context.workflow.resolve(split.node),
      let node = context.workflow[id]
    {
      var names = Array(node.inputs.keys)
      for name in node.classType.flatMap({ context.classInputs($0, node.inputs) }) ?? []
      where !names.contains(name) {
        names.append(name)
      }
      let candidates = names.map { split.head + $0 }.filter { $0.hasPrefix(word.text) }
      return result(word, candidates)
    }
    return result(word, nodeCandidates(word.text, context, suffix: "."), appendSpace: false)
  }

  /// `11:` → `11:0` (and output names from the catalog); before the colon, node ids followed by `:`.
  static func outputCandidates(
    _ word: (start: Int, text: String), _ context: CompletionContext
  ) -> CompletionResult {
    if let colon = Address.lastUnquotedColon(word.text) {
      let head = String(word.text[...colon])
      let nodeText = String(word.text[..<colon])
      let id = (try? Address.parseNode(nodeText)).flatMap { try? context.workflow.resolve($0) }
      if let id, let node = context.workflow[id] {
        var slots: [String]
        if let names = node.classType.flatMap(context.classOutputs) {
          slots = names.indices.map(String.init) + names
        } else {
          // Without a catalog: slot 0 and every slot other nodes already use.
          let used = context.workflow.consumers(of: id).map(\.slot)
          slots = Set([0] + used).sorted().map(String.init)
        }
        return result(word, slots.map { head + $0 }.filter { $0.hasPrefix(word.text) })
      }
    }
    return result(word, nodeCandidates(word.text, context, suffix: ":"), appendSpace: false)
  }

  /// After `set NODE.INPUT `: the catalog's choices for that input, or true/false for booleans.
  static func valueCandidates(
    _ word: (start: Int, text: String), input: String?, _ context: CompletionContext
  )
    -> CompletionResult
  {
    guard let input, let address = try? Address.parseInput(input),
      let id = try? context.workflow.resolve(address.node),
      let node = context.workflow[id]
    else { return CompletionResult(start: word.start, candidates: []) }
    var choices = node.classType.flatMap { context.inputChoices($0, address.name, node.inputs) } ?? []
    if choices.isEmpty, case .value(.bool)? = node.input(address.name) { choices = ["true", "false"] }
    let quoted = choices.map { choice in
      choice.allSatisfy { $0.isLetter || $0.isNumber || "._-/".contains($0) } && JSONNumber(choice) == nil
        ? choice : JSONValue.string(choice).serialized()
    }
    return result(word, quoted.filter { $0.hasPrefix(word.text) || $0.hasPrefix("\"" + word.text) })
  }

  /// Files and folders; folders end with `/` and take no space after them.
  static func pathCandidates(
    _ word: (start: Int, text: String), _ context: CompletionContext
  ) -> CompletionResult {
    let typed = word.text
    let slash = typed.lastIndex(of: "/")
    let folderPart = slash.map { String(typed[...$0]) } ?? ""
    let namePrefix = slash.map { String(typed[typed.index(after: $0)...]) } ?? typed
    let folder = FileIO.resolve(folderPart.isEmpty ? "." : folderPart, relativeTo: context.baseFolder)
    guard let dir = opendir(folder) else { return CompletionResult(start: word.start, candidates: []) }
    defer { closedir(dir) }
    var candidates: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name == "." || name == ".." { continue }
      if name.hasPrefix(".") && !namePrefix.hasPrefix(".") { continue }
      guard name.hasPrefix(namePrefix) else { continue }
      let isFolder = FileIO.isFolder(folder + "/" + name)
      candidates.append(folderPart + name + (isFolder ? "/" : ""))
    }
    candidates.sort()
    let onlyFolder = candidates.count == 1 && candidates[0].hasSuffix("/")
    return result(word, candidates, appendSpace: !onlyFolder)
  }

  /// The node part of `NODE.NAME` (or `NODE:SLOT`) when the separator has been typed.
  static func nodeSplit(_ text: String, separator: Character) -> (node: NodeRef, head: String)? {
    guard let (node, rest) = try? Address.splitNode(text, stopAt: separator), rest.first == separator else {
      return nil
    }
    let head = String(text[..<rest.startIndex]) + String(separator)
    return (node, head)
  }

  /// Words of the current statement (after the last `;` or `{`), with their character offsets; the
  /// last one is the word under the cursor (empty after a space).
  static func splitWords(_ text: String) -> [(start: Int, text: String)] {
    var words: [(Int, String)] = []
    var current = ""
    var currentStart = 0
    var quote: Character?
    var inWord = false
    for (offset, c) in text.enumerated() {
      if let q = quote {
        current.append(c)
        if c == q { quote = nil }
        continue
      }
      if c == "\"" || c == "'" {
        if !inWord {
          inWord = true
          currentStart = offset
        }
        quote = c
        current.append(c)
        continue
      }
      if c == ";" || c == "{" && !inWord {
        words.removeAll()
        current = ""
        inWord = false
        continue
      }
      if c.isWhitespace {
        if inWord {
          words.append((currentStart, current))
          current = ""
          inWord = false
        }
        continue
      }
      if !inWord {
        inWord = true
        currentStart = offset
      }
      current.append(c)
    }
    if inWord {
      words.append((currentStart, current))
    } else {
      words.append((text.count, ""))
    }
    return words
  }
}

extension CommandRegistry {
  /// Names (aliases included) and argument kinds, copied into each completion context.
  static func completionTable() -> (names: [String], kinds: [String: [ArgumentKind]]) {
    var kinds: [String: [ArgumentKind]] = [:]
    for command in all {
      kinds[command.name] = command.arguments
      for alias in command.aliases { kinds[alias] = command.arguments }
    }
    return (all.map { $0.name }, kinds)
  }
}
