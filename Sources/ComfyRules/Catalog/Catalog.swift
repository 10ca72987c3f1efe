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

/// Turns object_info entries into `NodeClass` values; lenient about shapes only custom nodes produce.
enum CatalogParser {
  static func nodeClass(name: String, fields: JSONObject) -> NodeClass {
    let input = fields["input"]?.objectValue ?? [:]
    let order = fields["input_order"]?.objectValue ?? [:]
    var inputs: [InputSpec] = []
    for (category, isRequired) in [("required", true), ("optional", false)] {
      guard let specs = input[category]?.objectValue else { continue }
      inputs.reserveCapacity(inputs.count + specs.count)
      let names = order[category]?.arrayValue ?? []
      // The usual case: input_order names every input once, in some order.
      if names.count == specs.count {
        let start = inputs.count
        for case .string(let inputName) in names {
          guard let spec = specs[inputName] else { break }
          inputs.append(inputSpec(name: inputName, isRequired: isRequired, spec: spec))
        }
        if inputs.count - start == specs.count && !hasDuplicates(inputs[start...].map(\.name)) { continue }
        inputs.removeSubrange(start...)
      }
      var seen = Set<String>()
      for case .string(let inputName) in names {
        guard let spec = specs[inputName], seen.insert(inputName).inserted else { continue }
        inputs.append(inputSpec(name: inputName, isRequired: isRequired, spec: spec))
      }
      for (inputName, spec) in specs where !seen.contains(inputName) {
        inputs.append(inputSpec(name: inputName, isRequired: isRequired, spec: spec))
      }
    }
    var hidden: [HiddenInput] = []
    for (hiddenName, spec) in input["hidden"]?.objectValue ?? [:] {
      let kind = spec.stringValue ?? spec.arrayValue?.first?.stringValue ?? spec.serialized()
      hidden.append(HiddenInput(name: hiddenName, kind: kind, isArgument: spec.stringValue != nil))
    }
    let outputTypes = fields["output"]?.arrayValue ?? []
    let outputNames = fields["output_name"]?.arrayValue ?? []
    let outputIsList = fields["output_is_list"]?.arrayValue ?? []
    let outputTooltips = fields["output_tooltips"]?.arrayValue ?? []
    var outputs: [OutputSpec] = []
    outputs.reserveCapacity(outputTypes.count)
    for (i, rawType) in outputTypes.enumerated() {
      let type = rawType.stringValue ?? (rawType.arrayValue != nil ? "COMBO" : rawType.serialized())
      outputs.append(
        OutputSpec(
          type: type,
          name: i < outputNames.count ? outputNames[i].stringValue : nil,
          isList: i < outputIsList.count ? outputIsList[i].boolValue == true : false,
          tooltip: i < outputTooltips.count ? outputTooltips[i].stringValue : nil,
          rawType: rawType))
    }
    let hasAllV3Flags =
      fields["deprecated"] != nil && fields["experimental"] != nil && fields["api_node"] != nil
    return NodeClass(
      name: name,
      displayName: fields["display_name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? name,
      category: fields["category"]?.stringValue ?? "",
      description: fields["description"]?.stringValue ?? "",
      pythonModule: fields["python_module"]?.stringValue ?? "",
      isOutputNode: fields["output_node"]?.boolValue == true,
      isAPINode: fields["api_node"]?.boolValue == true,
      isDeprecated: fields["deprecated"]?.boolValue == true,
      isExperimental: fields["experimental"]?.boolValue == true,
      isV3Schema: hasAllV3Flags,
      inputs: inputs, hiddenInputs: hidden, outputs: outputs, raw: fields)
  }

  /// Input lists are short: comparing pairs is cheaper than hashing them.
  static func hasDuplicates(_ names: [String]) -> Bool {
    for i in names.indices {
      for j in names.indices where j > i && names[i] == names[j] { return true }
    }
    return false
  }

  /// One `[type, {options}]` spec; a bare type string (seen in hand-written catalogs) is accepted too.
  static func inputSpec(name: String, isRequired: Bool, spec: JSONValue) -> InputSpec {
    let rawType: JSONValue
    var options: JSONObject = [:]
    switch spec {
    case .array(let elements):
      rawType = elements.first ?? .string("*")
      if elements.count > 1, case .object(let o) = elements[1] { options = o }
    default:
      rawType = spec
    }
    let kind: InputKind
    switch rawType {
    case .array(let choices):
      kind = .combo(ComboOptions(options: choices, validatesOptions: true))
    case .string(let type):
      switch type {
      case "INT": kind = .int
      case "FLOAT": kind = .float
      case "BOOLEAN": kind = .boolean
      case "STRING": kind = .string
      case "COMBO":
        kind = .combo(
          ComboOptions(
            options: options["options"]?.arrayValue ?? [], validatesOptions: false,
            multiselect: options["multiselect"]?.boolValue == true))
      default: kind = .link(type)
      }
    default:
      kind = .link(rawType.serialized())
    }
    return InputSpec(name: name, isRequired: isRequired, kind: kind, options: options, rawType: rawType)
  }
}
