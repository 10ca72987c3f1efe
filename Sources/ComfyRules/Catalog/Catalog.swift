import Synchronization
import Workflow

/// The node classes a server offers, read from `GET /object_info` (or a saved copy of it).
///
/// A catalog opened from a `CatalogFile` parses a class the first time it is looked up, so a command
/// that touches five classes pays for five, not for the five hundred a server lists; names and the
/// summaries that search and completion need come from the file's index.
public struct Catalog: Sendable {
  private let storage: Storage
  /// The server's ComfyUI version when the caller knows it (object_info itself does not say).
  public var comfyUIVersion: String?

  public init(classes: [NodeClass], comfyUIVersion: String? = nil) {
    storage = Storage(summaries: classes.map(ClassSummary.init), source: .parsed(classes))
    self.comfyUIVersion = comfyUIVersion
  }

  /// Reads the JSON of `GET /object_info`. Both of ComfyUI's input syntaxes are understood (v1 lists,
  /// v3 `["COMBO", {"options": …}]`); an entry that is not an object is an error naming the class.
  public init(objectInfo: JSONValue, comfyUIVersion: String? = nil) throws(WorkflowError) {
    guard case .object(let entries) = objectInfo else {
      throw WorkflowError(
        "a node catalog is the JSON object of GET /object_info (class name → description), but this is \(objectInfo.typeName)"
      )
    }
    var classes: [NodeClass] = []
    classes.reserveCapacity(entries.count)
    for (name, entry) in entries {
      guard case .object(let fields) = entry else {
        throw WorkflowError("the catalog entry for \(name) is \(entry.typeName), not an object")
      }
      classes.append(CatalogParser.nodeClass(name: name, fields: fields))
    }
    self.init(classes: classes, comfyUIVersion: comfyUIVersion)
  }

  /// Reads object_info JSON text (a file saved with `curl …/object_info`).
  public init(objectInfoBytes bytes: [UInt8], comfyUIVersion: String? = nil) throws(WorkflowError) {
    let value: JSONValue
    do {
      value = try JSONValue.parse(bytes: bytes)
    } catch {
      throw WorkflowError("the node catalog is not valid JSON (\(error))")
    }
    try self.init(objectInfo: value, comfyUIVersion: comfyUIVersion)
  }

  /// A catalog whose classes are parsed from `file` when first looked up.
  init(file: CatalogFile, comfyUIVersion: String?) {
    storage = Storage(summaries: file.summaries, source: .file(file))
    self.comfyUIVersion = comfyUIVersion
  }

  public var count: Int { storage.summaries.count }

  /// Class names in the order the server listed them.
  public var names: [String] { storage.names }

  /// What lists and search show of each class, in catalog order, without parsing any class.
  public var summaries: [ClassSummary] { storage.summaries }

  /// Every class in catalog order. On a catalog opened from a file this parses every class; prefer
  /// `summaries` or a lookup by name.
  public var classes: [NodeClass] {
    storage.summaries.indices.compactMap { storage.nodeClass(at: $0) }
  }

  /// How many classes have been parsed so far (all of them unless opened from a `CatalogFile`).
  public var parsedCount: Int { storage.parsedCount }

  public subscript(className name: String) -> NodeClass? {
    storage.index[name].flatMap { storage.nodeClass(at: $0) }
  }

  public func contains(_ className: String) -> Bool { storage.index[className] != nil }

  /// The summary of one class, without parsing it.
  public func summary(of className: String) -> ClassSummary? {
    storage.index[className].map { storage.summaries[$0] }
  }

  /// Output names of a class (`["IMAGE", "MASK"]`), for `NODE:NAME` addresses; nil for an unknown class.
  public func outputNames(of className: String) -> [String]? {
    self[className: className]?.outputNames
  }

  /// Classes whose name, display name, search alias or category contains `pattern` (case ignored). Exact
  /// matches come first, then names that start with it (class name before display name), then exact
  /// aliases, other name matches, other alias matches, then category matches; catalog order within each.
  public func search(_ pattern: String) -> [ClassSummary] {
    let needle = pattern.lowercased()
    let summaries = storage.summaries
    guard !needle.isEmpty else { return summaries }
    var ranked: [(rank: Int, position: Int)] = []
    for (position, summary) in summaries.enumerated() {
      let name = summary.name.lowercased()
      let display = summary.displayName.lowercased()
      let rank: Int
      if name == needle {
        rank = 0
      } else if display == needle {
        rank = 1
      } else if name.hasPrefix(needle) {
        rank = 2
      } else if display.hasPrefix(needle) {
        rank = 3
      } else if summary.searchAliases.contains(where: { $0.lowercased() == needle }) {
        rank = 4
      } else if name.contains(needle) || display.contains(needle) {
        rank = 5
      } else if summary.searchAliases.contains(where: { $0.lowercased().contains(needle) }) {
        rank = 6
      } else if summary.category.lowercased().contains(needle) {
        rank = 7
      } else {
        continue
      }
      ranked.append((rank, position))
    }
    ranked.sort { $0.rank != $1.rank ? $0.rank < $1.rank : $0.position < $1.position }
    return ranked.map { summaries[$0.position] }
  }

  /// Class names close to `name`, for "did you mean" after an unknown `class_type`.
  public func suggestions(for name: String, limit: Int = 3) -> [String] {
    Suggest.ranked(name, in: names, limit: limit)
  }
}

/// What a list or search shows of a class: enough to find it without reading its inputs.
public struct ClassSummary: Sendable, Equatable {
  public var name: String
  public var displayName: String
  public var category: String
  public var isAPINode: Bool
  public var isOutputNode: Bool
  public var isDeprecated: Bool
  public var isExperimental: Bool
  /// Other words search finds it by (`search_aliases`).
  public var searchAliases: [String]

  public init(
    name: String, displayName: String, category: String, isAPINode: Bool = false,
    isOutputNode: Bool = false, isDeprecated: Bool = false, isExperimental: Bool = false,
    searchAliases: [String] = []
  ) {
    self.searchAliases = searchAliases
    self.name = name
    self.displayName = displayName
    self.category = category
    self.isAPINode = isAPINode
    self.isOutputNode = isOutputNode
    self.isDeprecated = isDeprecated
    self.isExperimental = isExperimental
  }

  public init(_ nodeClass: NodeClass) {
    self.init(
      name: nodeClass.name, displayName: nodeClass.displayName, category: nodeClass.category,
      isAPINode: nodeClass.isAPINode, isOutputNode: nodeClass.isOutputNode,
      isDeprecated: nodeClass.isDeprecated, isExperimental: nodeClass.isExperimental,
      searchAliases: nodeClass.searchAliases)
  }
}

extension Catalog {
  /// Shared by copies of a catalog, so a class parsed through one copy is parsed for all.
  final class Storage: Sendable {
    enum Source: Sendable {
      case parsed([NodeClass])
      case file(CatalogFile)
    }

    let summaries: [ClassSummary]
    /// The first class of each name (object_info cannot repeat a name; hand-made lists can).
    let index: [String: Int]
    let source: Source
    private let parsed: Mutex<[Int: NodeClass]> = Mutex([:])
    /// Made on first use: completion asks after every command, opening a catalog should not pay for it.
    private let nameList: Mutex<[String]?> = Mutex(nil)

    var names: [String] {
      if let known = nameList.withLock({ $0 }) { return known }
      let made = summaries.map(\.name)
      nameList.withLock { $0 = made }
      return made
    }

    init(summaries: [ClassSummary], source: Source) {
      self.summaries = summaries
      self.source = source
      var index: [String: Int] = [:]
      index.reserveCapacity(summaries.count)
      for (i, summary) in summaries.enumerated() where index[summary.name] == nil {
        index[summary.name] = i
      }
      self.index = index
    }

    func nodeClass(at position: Int) -> NodeClass? {
      switch source {
      case .parsed(let classes):
        return classes[position]
      case .file(let file):
        if let known = parsed.withLock({ $0[position] }) { return known }
        // Parsed outside the lock: two threads may both parse a class, and either result is the same.
        guard let nodeClass = file.nodeClass(at: position) else { return nil }
        parsed.withLock { $0[position] = nodeClass }
        return nodeClass
      }
    }

    var parsedCount: Int {
      switch source {
      case .parsed(let classes): classes.count
      case .file: parsed.withLock { $0.count }
      }
    }
  }
}
