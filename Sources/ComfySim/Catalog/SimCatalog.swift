import ComfyRules
import Workflow

/// What the executor needs to know about a node class, read from its `/object_info` entry.
struct SimNodeClass: Sendable {
  struct Input: Sendable {
    enum Category: String, Sendable { case required, optional }
    var name: String
    var category: Category
    /// `INT`, `IMAGE`, `COMBO` (both v1 list and v3 form), `*`, …
    var type: String
    var options: [JSONValue]
    var config: JSONObject
  }

  var name: String
  var isOutputNode: Bool
  var isAPINode: Bool
  var outputTypes: [String]
  var inputs: [Input]
  /// v1 hidden inputs (`"prompt": "PROMPT"`), which ComfyUI passes as ordinary arguments and so
  /// shows in `current_inputs`; v3 hidden inputs (`["UNIQUE_ID"]`) travel separately.
  var hiddenV1: [(name: String, kind: String)]
  var hiddenKinds: Set<String>

  func input(_ name: String) -> Input? { inputs.first { $0.name == name } }

  init?(name: String, info: JSONValue) {
    guard case .object(let object) = info else { return nil }
    self.name = name
    isOutputNode = object["output_node"]?.boolValue ?? false
    isAPINode = object["api_node"]?.boolValue ?? false
    outputTypes = (object["output"]?.arrayValue ?? []).map { value in
      if case .string(let s) = value { return s }
      return "COMBO"
    }
    var inputs: [Input] = []
    var hiddenV1: [(String, String)] = []
    var hiddenKinds: Set<String> = []
    let input = object["input"]?.objectValue ?? [:]
    for category in [Input.Category.required, .optional] {
      for (inputName, spec) in input[category.rawValue]?.objectValue ?? [:] {
        let parts = spec.arrayValue ?? []
        var type = "*"
        var options: [JSONValue] = []
        let config = parts.count > 1 ? (parts[1].objectValue ?? [:]) : [:]
        switch parts.first {
        case .string(let t)?:
          type = t
          if t == "COMBO" { options = config["options"]?.arrayValue ?? [] }
        case .array(let choices)?:
          type = "COMBO"
          options = choices
        default: break
        }
        inputs.append(
          Input(name: inputName, category: category, type: type, options: options, config: config))
      }
    }
    for (key, value) in input["hidden"]?.objectValue ?? [:] {
      switch value {
      case .string(let kind):
        hiddenV1.append((key, kind))
        hiddenKinds.insert(kind)
      case .array(let parts):
        if case .string(let kind)? = parts.first { hiddenKinds.insert(kind) }
      default: break
      }
    }
    self.inputs = inputs
    self.hiddenV1 = hiddenV1
    self.hiddenKinds = hiddenKinds
  }
}

/// An index of node classes over an `/object_info` document.
struct SimCatalog: Sendable {
  private var classes: [String: SimNodeClass]

  init(objectInfo: JSONObject) {
    var classes: [String: SimNodeClass] = [:]
    for (name, info) in objectInfo {
      if let nodeClass = SimNodeClass(name: name, info: info) { classes[name] = nodeClass }
    }
    self.classes = classes
  }

  subscript(name: String) -> SimNodeClass? { classes[name] }
}
