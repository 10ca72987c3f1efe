import OrderedCollections
import Workflow

/// A link as LiteGraph stores it: `[id, origin_id, origin_slot, target_id, target_slot, type]` in a
/// v0.4 root graph, or an object in subgraph definitions.
struct UILink {
  var id: Int
  var originID: String
  var originSlot: Int
  var targetID: String
  var targetSlot: Int
  var type: String

  /// The subgraph's input node (`-10`): the link comes in through a subgraph input.
  var originIsIoNode: Bool { originID == "-10" }

  init(id: Int, originID: String, originSlot: Int, targetID: String, targetSlot: Int, type: String) {
    self.id = id
    self.originID = originID
    self.originSlot = originSlot
    self.targetID = targetID
    self.targetSlot = targetSlot
    self.type = type
  }

  init?(_ raw: JSONValue) {
    switch raw {
    case .array(let a) where a.count >= 5:
      guard let id = UIValue.int(a[0]), let origin = UIValue.id(a[1]), let originSlot = UIValue.int(a[2]),
        let target = UIValue.id(a[3]), let targetSlot = UIValue.int(a[4])
      else { return nil }
      self.init(
        id: id, originID: origin, originSlot: originSlot, targetID: target, targetSlot: targetSlot,
        type: a.count > 5 ? UIValue.type(a[5]) : "*")
    case .object(let o):
      guard let id = UIValue.int(o["id"]), let origin = UIValue.id(o["origin_id"]),
        let originSlot = UIValue.int(o["origin_slot"]), let target = UIValue.id(o["target_id"]),
        let targetSlot = UIValue.int(o["target_slot"])
      else { return nil }
      self.init(
        id: id, originID: origin, originSlot: originSlot, targetID: target, targetSlot: targetSlot,
        type: UIValue.type(o["type"]))
    default:
      return nil
    }
  }
}

/// An input or output of a subgraph definition, with the links inside that use it.
struct SubgraphSlot {
  var name: String
  var type: String
  var linkIDs: [Int]
}

/// One graph of a UI workflow: the root, or a subgraph definition (`definitions.subgraphs`).
struct UIGraph {
  /// The subgraph's id (its node type); nil for the root graph.
  var subgraphID: String?
  var name: String
  var nodes: [JSONObject]
  var links: [Int: UILink]
  var inputs: [SubgraphSlot]
  var outputs: [SubgraphSlot]

  init(_ object: JSONObject, subgraphID: String?) throws(WorkflowError) {
    self.subgraphID = subgraphID
    name = object["name"]?.stringValue ?? ""
    guard case .array(let rawNodes)? = object["nodes"] else {
      throw WorkflowError(
        subgraphID == nil
          ? "a UI-format workflow is an object with a \"nodes\" list"
          : "subgraph \(subgraphID ?? "") has no \"nodes\" list")
    }
    var nodes: [JSONObject] = []
    for (position, raw) in rawNodes.enumerated() {
      guard case .object(let fields) = raw else {
        throw WorkflowError("entry \(position) of \"nodes\" is \(raw.typeName), not a node object")
      }
      nodes.append(fields)
    }
    self.nodes = nodes
    var links: [Int: UILink] = [:]
    for raw in object["links"]?.arrayValue ?? [] {
      if let link = UILink(raw) { links[link.id] = link }
    }
    self.links = links
    func slots(_ key: String) -> [SubgraphSlot] {
      (object[key]?.arrayValue ?? []).map { slot in
        SubgraphSlot(
          name: slot["name"]?.stringValue ?? "", type: UIValue.type(slot["type"]),
          linkIDs: (slot["linkIds"]?.arrayValue ?? []).compactMap { UIValue.int($0) })
      }
    }
    inputs = slots("inputs")
    outputs = slots("outputs")
  }
}

/// How LiteGraph reads values out of the JSON it wrote.
enum UIValue {
  /// A JavaScript-style id: numbers as `String(n)`, strings as they are.
  static func id(_ value: JSONValue?) -> String? {
    switch value {
    case .number(let n)?:
      if let i = n.int64Value { return String(i) }
      return JSNumber.text(n.doubleValue)
    case .string(let s)?:
      return s
    default:
      return nil
    }
  }

  static func int(_ value: JSONValue?) -> Int? {
    guard case .number(let n)? = value else { return nil }
    if let i = n.int64Value { return Int(exactly: i) }
    let d = n.doubleValue
    return d == d.rounded() && abs(d) < 1e15 ? Int(d) : nil
  }

  /// Slot types are strings, or numbers for legacy event slots; `*` when missing.
  static func type(_ value: JSONValue?) -> String {
    switch value {
    case .string(let s)?: s
    case .number(let n)?: n.text
    case nil, .null?: "*"
    default: value?.serialized() ?? "*"
    }
  }

  /// JavaScript's truthiness, for `if (!info.title)` and friends.
  static func truthy(_ value: JSONValue?) -> Bool {
    switch value {
    case nil, .null?: false
    case .bool(let b)?: b
    case .number(let n)?: n.doubleValue != 0 && !n.doubleValue.isNaN
    case .string(let s)?: !s.isEmpty
    default: true
    }
  }

  /// `value + ''` in JavaScript.
  static func jsString(_ value: JSONValue?) -> String {
    switch value {
    case nil: "undefined"
    case .null?: "null"
    case .bool(let b)?: b ? "true" : "false"
    case .number(let n)?: JSNumber.text(n.doubleValue)
    case .string(let s)?: s
    case .array(let items)?:
      items.map { item -> String in
        if case .null = item { return "" }
        return jsString(item)
      }.joined(separator: ",")
    case .object?: "[object Object]"
    }
  }

  /// A JavaScript number as a JSON value in JavaScript's own text.
  static func number(_ x: Double) -> JSONValue {
    guard x.isFinite else { return .null }
    return .number(JSONNumber(uncheckedText: JSNumber.text(x)))
  }

  /// `Math.round`: halves go up (towards +∞).
  static func mathRound(_ x: Double) -> Double {
    let floor = x.rounded(.down)
    return x - floor >= 0.5 ? floor + 1 : floor
  }

  /// `Number(x.toFixed(digits))`: x rounded to `digits` decimals, halves away from zero in the
  /// shortest decimal text of x.
  static func toFixed(_ x: Double, _ digits: Int) -> Double {
    guard x.isFinite, abs(x) < 1e21 else { return x }
    var scale = 1.0
    for _ in 0..<max(0, digits) { scale *= 10 }
    let text = Py.floatRepr(abs(x))
    guard let decimal = Decimalish(text) else { return x }
    let rounded = decimal.rounded(toDigits: digits)
    let value = Double(rounded) ?? (abs(x) * scale).rounded() / scale
    return x < 0 ? -value : value
  }
}

/// Just enough decimal arithmetic for `toFixed`: the digits of a Python float repr.
private struct Decimalish {
  var digits: [UInt8]
  /// Where the decimal point sits in `digits`.
  var point: Int

  init?(_ text: String) {
    var mantissa = Substring(text)
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
      mantissa = text[..<e]
      exponent = Int(text[text.index(after: e)...]) ?? 0
    }
    var digits: [UInt8] = []
    var point: Int?
    for c in mantissa {
      if c == "." {
        point = digits.count
      } else if let d = c.wholeNumberValue {
        digits.append(UInt8(d))
      } else {
        return nil
      }
    }
    self.digits = digits
    self.point = (point ?? digits.count) + exponent
  }

  func rounded(toDigits n: Int) -> String {
    var digits = self.digits
    var point = self.point
    while point < 1 {
      digits.insert(0, at: 0)
      point += 1
    }
    while digits.count < point + n + 1 { digits.append(0) }
    let keep = point + n
    var kept = Array(digits[..<keep])
    if digits[keep] >= 5 {
      var i = kept.count - 1
      while i >= 0 {
        if kept[i] == 9 {
          kept[i] = 0
          i -= 1
        } else {
          kept[i] += 1
          break
        }
      }
      if i < 0 {
        kept.insert(1, at: 0)
        point += 1
      }
    }
    let whole = kept[..<point].map(String.init).joined()
    let fraction = kept[point...].map(String.init).joined()
    return fraction.isEmpty ? whole : whole + "." + fraction
  }
}
