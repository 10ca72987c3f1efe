import OrderedCollections
import Workflow

/// The node classes a server offers, read from `GET /object_info` (or a saved copy of it).
public struct Catalog: Sendable {
  /// Every class in the order the server listed them.
  public let classes: [NodeClass]
  private let index: [String: Int]
  /// The server's ComfyUI version when the caller knows it (object_info itself does not say).
  public var comfyUIVersion: String?

  public init(classes: [NodeClass], comfyUIVersion: String? = nil) {
    self.classes = classes
    var index: [String: Int] = [:]
    index.reserveCapacity(classes.count)
    for (i, nodeClass) in classes.enumerated() where index[nodeClass.name] == nil {
      index[nodeClass.name] = i
    }
    self.index = index
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

  public var count: Int { classes.count }

  public subscript(className name: String) -> NodeClass? {
    index[name].map { classes[$0] }
  }

  public func contains(_ className: String) -> Bool { index[className] != nil }

  /// Output names of a class (`["IMAGE", "MASK"]`), for `NODE:NAME` addresses; nil for an unknown class.
  public func outputNames(of className: String) -> [String]? {
    self[className: className]?.outputNames
  }

  /// Classes whose name, display name or category contains `pattern` (case ignored). Exact matches come
  /// first, then names that start with it (class name before display name), then other name matches,
  /// then category matches; catalog order within each group.
  public func search(_ pattern: String) -> [NodeClass] {
    let needle = pattern.lowercased()
    guard !needle.isEmpty else { return classes }
    var ranked: [(rank: Int, position: Int)] = []
    for (position, nodeClass) in classes.enumerated() {
      let name = nodeClass.name.lowercased()
      let display = nodeClass.displayName.lowercased()
      let rank: Int
      if name == needle {
        rank = 0
      } else if display == needle {
        rank = 1
      } else if name.hasPrefix(needle) {
        rank = 2
      } else if display.hasPrefix(needle) {
        rank = 3
      } else if name.contains(needle) || display.contains(needle) {
        rank = 4
      } else if nodeClass.category.lowercased().contains(needle) {
        rank = 5
      } else {
        continue
      }
      ranked.append((rank, position))
    }
    ranked.sort { $0.rank != $1.rank ? $0.rank < $1.rank : $0.position < $1.position }
    return ranked.map { classes[$0.position] }
  }

  /// Class names close to `name`, for "did you mean" after an unknown `class_type`.
  public func suggestions(for name: String, limit: Int = 3) -> [String] {
    Suggest.ranked(name, in: classes.map(\.name), limit: limit)
  }
}
