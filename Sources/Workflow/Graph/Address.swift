/// How a command names a node (Docs/guide.md, Addresses): by id, or by `@title`.
public enum NodeRef: Sendable, Equatable, CustomStringConvertible {
  case id(String)
  case title(String)

  public var description: String {
    switch self {
    case .id(let id): Address.needsQuotes(id) ? Address.quote(id) : id
    case .title(let title): "@" + (Address.needsQuotes(title) ? Address.quote(title) : title)
    }
  }
}

/// `NODE.NAME`: an input of a node; the name may itself contain dots (`model.temperature`).
public struct InputAddress: Sendable, Equatable, CustomStringConvertible {
  public var node: NodeRef
  public var name: String
  public init(node: NodeRef, name: String) {
    self.node = node
    self.name = name
  }
  public var description: String { "\(node).\(name)" }
}

/// The slot part of `NODE:SLOT`.
public enum SlotRef: Sendable, Equatable, CustomStringConvertible {
  case index(Int)
  case name(String)
  public var description: String {
    switch self {
    case .index(let i): String(i)
    case .name(let n): n
    }
  }
}

/// `NODE:SLOT`: an output of a node, split at the last `:` so subgraph ids (`194:45:0`) work.
public struct OutputAddress: Sendable, Equatable, CustomStringConvertible {
  public var node: NodeRef
  public var slot: SlotRef
  public init(node: NodeRef, slot: SlotRef) {
    self.node = node
    self.slot = slot
  }
  public var description: String { "\(node):\(slot)" }
}

/// The address grammar shared by `set`, `link` and friends; parses the text exactly as typed, quotes included.
public enum Address {
  /// Parses `NODE` alone: `11`, `194:45`, `"a.b"`, `@Save`, `@"Save Image"`.
  public static func parseNode(_ text: String) throws(WorkflowError) -> NodeRef {
    let (node, rest) = try splitNode(text, stopAt: nil)
    guard rest.isEmpty else { throw WorkflowError("unexpected \"\(rest)\" after the node in \(text)") }
    return node
  }

  /// Parses `NODE.NAME`, splitting at the first `.` after the node.
  public static func parseInput(_ text: String) throws(WorkflowError) -> InputAddress {
    let (node, rest) = try splitNode(text, stopAt: ".")
    guard rest.hasPrefix(".") else {
      throw WorkflowError(
        "\(text) is not an input address; write NODE.INPUT, e.g. 11.seed or @\"Save Image\".images")
    }
    let name = unquote(String(rest.dropFirst()))
    guard !name.isEmpty else {
      throw WorkflowError("\(text) names no input after the '.'; write NODE.INPUT, e.g. 11.seed")
    }
    return InputAddress(node: node, name: name)
  }

  /// Parses `NODE:SLOT`, splitting at the last `:` (outside quotes).
  public static func parseOutput(_ text: String) throws(WorkflowError) -> OutputAddress {
    guard let colon = lastUnquotedColon(text) else {
      throw WorkflowError("\(text) is not an output address; write NODE:SLOT, e.g. 11:0 or 4:MODEL")
    }
    let nodeText = String(text[..<colon])
    let slotText = String(text[text.index(after: colon)...])
    guard !nodeText.isEmpty else {
      throw WorkflowError("\(text) names no node before the ':'; write NODE:SLOT, e.g. 11:0")
    }
    guard !slotText.isEmpty else {
      throw WorkflowError("\(text) names no output after the ':'; write NODE:SLOT, e.g. 11:0")
    }
    let node = try parseNode(nodeText)
    if let index = Int(slotText) {
      guard index >= 0 else { throw WorkflowError("output slots count from 0; \(slotText) is not a slot") }
      return OutputAddress(node: node, slot: .index(index))
    }
    return OutputAddress(node: node, slot: .name(unquote(slotText)))
  }

  /// Splits off the node part; `stopAt` ends a bare id or title (`.` for inputs).
  public static func splitNode(
    _ text: String, stopAt: Character?
  ) throws(WorkflowError) -> (NodeRef, Substring) {
    var rest = Substring(text)
    var isTitle = false
    if rest.hasPrefix("@") {
      isTitle = true
      rest = rest.dropFirst()
    }
    let name: String
    if let quote = rest.first, quote == "\"" || quote == "'" {
      let (unquoted, after) = try readQuoted(rest, original: text)
      name = unquoted
      rest = after
    } else {
      let end = stopAt.flatMap { rest.firstIndex(of: $0) } ?? rest.endIndex
      name = String(rest[..<end])
      rest = rest[end...]
      if let bad = name.first(where: { $0 == "\"" || $0 == "@" || $0.isWhitespace }) {
        throw WorkflowError("\(text): a node id cannot contain '\(bad)'; quote it (\"…\") or use @title")
      }
    }
    guard !name.isEmpty else {
      throw WorkflowError(
        isTitle ? "\(text) has an empty @title" : "\(text) names no node; write a node id such as 11")
    }
    return (isTitle ? .title(name) : .id(name), rest)
  }

  /// Reads `"…"` (JSON escapes) or `'…'` (literal) at the start of `text`.
  static func readQuoted(_ text: Substring, original: String) throws(WorkflowError) -> (String, Substring) {
    guard let quote = text.first else { return ("", text) }
    var result = ""
    var index = text.index(after: text.startIndex)
    while index < text.endIndex {
      let c = text[index]
      if c == quote {
        return (result, text[text.index(after: index)...])
      }
      if c == "\\" && quote == "\"" {
        let escapeStart = index
        index = text.index(after: index)
        guard index < text.endIndex else { break }
        var probe = "\"" + String(text[escapeStart...index])
        if text[index] == "u" {
          let hexEnd = text.index(index, offsetBy: 5, limitedBy: text.endIndex) ?? text.endIndex
          probe = "\"" + String(text[escapeStart..<hexEnd])
          index = text.index(before: hexEnd)
        }
        guard let decoded = try? JSONValue.parse(probe + "\"").stringValue else {
          throw WorkflowError("\(original): bad escape \(text[escapeStart...index]) in a quoted name")
        }
        result += decoded
      } else {
        result.append(c)
      }
      index = text.index(after: index)
    }
    throw WorkflowError("\(original): the quote \(quote) is not closed")
  }

  static func unquote(_ text: String) -> String {
    guard let first = text.first, first == "\"" || first == "'", text.count >= 2, text.last == first,
      let (inner, rest) = try? readQuoted(Substring(text), original: text), rest.isEmpty
    else { return text }
    return inner
  }

  public static func lastUnquotedColon(_ text: String) -> String.Index? {
    var quote: Character?
    var last: String.Index?
    var index = text.startIndex
    while index < text.endIndex {
      let c = text[index]
      if let q = quote {
        if c == "\\" && q == "\"" {
          index = text.index(after: index)
          if index == text.endIndex { break }
        } else if c == q {
          quote = nil
        }
      } else if c == "\"" || c == "'" {
        quote = c
      } else if c == ":" {
        last = index
      }
      index = text.index(after: index)
    }
    return last
  }

  /// Whether a name must be quoted to be read back as one node (it has a space, `.`, `"`, `@` or `'`).
  public static func needsQuotes(_ name: String) -> Bool {
    name.isEmpty || name.contains { $0 == "." || $0 == "\"" || $0 == "@" || $0 == "'" || $0.isWhitespace }
  }

  public static func quote(_ name: String) -> String { JSONValue.string(name).serialized() }
}

extension Workflow {
  /// Finds the node a reference means. Titles match exactly first, then ignoring case; more than one
  /// match is an error that lists them.
  public func resolve(_ ref: NodeRef) throws(WorkflowError) -> String {
    switch ref {
    case .id(let id):
      if nodes[id] != nil { return id }
      throw WorkflowError(missingNodeMessage(id))
    case .title(let title):
      var matches = nodes.values.filter { $0.title == title }
      if matches.isEmpty {
        let folded = title.lowercased()
        matches = nodes.values.filter { $0.title?.lowercased() == folded }
      }
      if matches.count == 1, let only = matches.first { return only.id }
      if matches.isEmpty {
        var message = "no node has the title \"\(title)\""
        let titles = nodes.values.compactMap(\.title)
        if let close = Suggest.closest(title, in: titles) {
          message += " (did you mean @\(NodeRef.title(close).description.dropFirst())?)"
        }
        throw WorkflowError(message)
      }
      let list = matches.map { "\($0.id) (\($0.classType ?? "?"))" }.joined(separator: ", ")
      throw WorkflowError("@\(title) is ambiguous: nodes \(list) have that title; use the node id instead")
    }
  }

  /// "there is no node 13" with the closest ids, or the list when it is short.
  public func missingNodeMessage(_ id: String) -> String {
    if nodes.isEmpty { return "there is no node \(id): the workflow is empty (load a file or add a node)" }
    if let close = Suggest.closest(id, in: Array(nodes.keys)) {
      return "there is no node \(id) (did you mean \(close)?)"
    }
    if nodes.count <= 12 {
      return "there is no node \(id); the nodes are \(nodes.keys.joined(separator: ", "))"
    }
    return "there is no node \(id) among the workflow's \(nodes.count) nodes"
  }

  /// Resolves `NODE:SLOT`. `outputNames` gives a class's output names when a catalog is known.
  public func resolve(
    _ output: OutputAddress, outputNames: (String) -> [String]? = { _ in nil }
  )
    throws(WorkflowError) -> (node: String, slot: Int)
  {
    let id: String
    do {
      id = try resolve(output.node)
    } catch {
      // `194:45` may mean node "194:45" rather than node 194, slot 45.
      if case .id(let head) = output.node, nodes["\(head):\(output.slot)"] != nil {
        throw WorkflowError(
          "node \(head) has no output \(output.slot) (did you mean \(head):\(output.slot):0?)")
      }
      throw error
    }
    let node = nodes[id]
    let names = node?.classType.flatMap(outputNames)
    switch output.slot {
    case .index(let index):
      if let names, index >= names.count {
        if nodes["\(id):\(index)"] != nil {
          throw WorkflowError("node \(id) has no output \(index) (did you mean \(id):\(index):0?)")
        }
        let list = names.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", ")
        throw WorkflowError(
          "node \(id) (\(node?.classType ?? "?")) has no output \(index); its outputs are \(list.isEmpty ? "none" : list)"
        )
      }
      return (id, index)
    case .name(let name):
      guard let names else {
        throw WorkflowError(
          "output names need the node catalog; use the slot number instead (e.g. \(output.node):0)")
      }
      if let index = names.firstIndex(of: name)
        ?? names.firstIndex(where: { $0.lowercased() == name.lowercased() })
      {
        return (id, index)
      }
      let list = names.enumerated().map { "\($0.offset) \($0.element)" }.joined(separator: ", ")
      throw WorkflowError(
        "node \(id) (\(node?.classType ?? "?")) has no output named \(name); its outputs are \(list.isEmpty ? "none" : list)"
      )
    }
  }
}
