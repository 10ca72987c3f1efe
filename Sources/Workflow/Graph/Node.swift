import OrderedCollections

/// One input of a node as the API format encodes it: a link `[node_id, slot]` or a literal value.
public enum InputValue: Sendable, Equatable {
  /// `["14", 0]`: the output `slot` of node `node`.
  case link(node: String, slot: Int)
  /// A literal; a list value is stored wrapped as `{"__value__": [...]}` and shown unwrapped here.
  case value(JSONValue)
  /// A JSON list that is neither a link nor a wrapped value (the server answers `bad_linked_input`).
  case malformedLink(JSONValue)

  /// Reads the stored JSON the way ComfyUI's `validate_inputs` does: every list is a link.
  public init(stored: JSONValue) {
    switch stored {
    case .array(let elements):
      if elements.count == 2, case .string(let id) = elements[0], case .number(let n) = elements[1],
        let slot = n.int64Value, slot >= 0, slot <= Int64(Int32.max)
      {
        self = .link(node: id, slot: Int(slot))
      } else {
        self = .malformedLink(stored)
      }
    case .object(let members) where members.count == 1:
      if let wrapped = members["__value__"], case .array = wrapped {
        self = .value(wrapped)
      } else {
        self = .value(stored)
      }
    default:
      self = .value(stored)
    }
  }

  /// The JSON to store: lists are wrapped in `__value__` so the server does not read them as links.
  public var stored: JSONValue {
    switch self {
    case .link(let node, let slot): return .array([.string(node), .int(slot)])
    case .value(let value):
      if case .array = value { return .object(["__value__": value]) }
      return value
    case .malformedLink(let raw): return raw
    }
  }

  public var isLink: Bool {
    if case .link = self { return true }
    return false
  }
}

/// A node of an API-format prompt. Every field of its JSON object is kept in order, known or not.
public struct Node: Sendable, Equatable {
  public let id: String
  /// The node's JSON object: usually `inputs`, `class_type`, `_meta`, in that order.
  public var fields: JSONObject

  public init(id: String, fields: JSONObject) {
    self.id = id
    self.fields = fields
  }

  /// A new node laid out as ComfyUI's export writes one.
  public init(id: String, classType: String, title: String?, inputs: JSONObject = [:]) {
    self.id = id
    var fields: JSONObject = ["inputs": .object(inputs), "class_type": .string(classType)]
    if let title { fields["_meta"] = ["title": .string(title)] }
    self.fields = fields
  }

  /// The node's class, or nil when `class_type` is missing or not a string.
  public var classType: String? { fields["class_type"]?.stringValue }

  /// `_meta.title`, the name the UI shows.
  public var title: String? {
    get { fields["_meta"]?["title"]?.stringValue }
    set {
      var meta = fields["_meta"]?.objectValue ?? [:]
      if let newValue { meta["title"] = .string(newValue) } else { meta.removeValue(forKey: "title") }
      if meta.isEmpty { fields.removeValue(forKey: "_meta") } else { fields["_meta"] = .object(meta) }
    }
  }

  /// The raw `inputs` object (empty when missing).
  public var inputs: JSONObject {
    get { fields["inputs"]?.objectValue ?? [:] }
    set {
      if fields["inputs"] == nil {
        // Keep `inputs` first, where exports put it.
        fields.updateValue(.object(newValue), forKey: "inputs", insertingAt: 0)
      } else {
        fields["inputs"] = .object(newValue)
      }
    }
  }

  public func input(_ name: String) -> InputValue? {
    fields["inputs"]?[name].map(InputValue.init(stored:))
  }

  /// A new dotted input (`format.codec`, `images.image1`: a V3 dynamic input's parts) goes right
  /// after the inputs that share its nearest present prefix, where the frontend writes it; any other
  /// new input goes last.
  public mutating func setInput(_ name: String, _ value: InputValue) {
    var current = inputs
    if current[name] == nil, let position = Self.groupEnd(for: name, in: current) {
      current.updateValue(value.stored, forKey: name, insertingAt: position)
    } else {
      current[name] = value.stored
    }
    inputs = current
  }

  /// The index after the last input that is, or is under, `name`'s nearest dotted prefix present
  /// (`a.b`, else `a`, for `a.b.c`); nil when there is none.
  static func groupEnd(for name: String, in inputs: JSONObject) -> Int? {
    var prefix = Substring(name)
    while let dot = prefix.lastIndex(of: ".") {
      prefix = prefix[..<dot]
      let key = String(prefix)
      if let last = inputs.keys.lastIndex(where: { $0 == key || $0.hasPrefix(key + ".") }) { return last + 1 }
    }
    return nil
  }

  @discardableResult
  public mutating func removeInput(_ name: String) -> InputValue? {
    var current = inputs
    let removed = current.removeValue(forKey: name)
    inputs = current
    return removed.map(InputValue.init(stored:))
  }

  /// Every input that is a link, in input order.
  public var links: [(input: String, node: String, slot: Int)] {
    inputs.compactMap { name, raw in
      if case .link(let node, let slot) = InputValue(stored: raw) { return (name, node, slot) }
      return nil
    }
  }

  /// The title if there is one, else the class; what lists and messages call the node.
  public var displayName: String { title ?? classType ?? "?" }
}
