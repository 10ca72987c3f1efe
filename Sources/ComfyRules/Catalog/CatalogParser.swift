import OrderedCollections
import Workflow

/// Turns object_info entries into `NodeClass` values; lenient about shapes only custom nodes produce.
enum CatalogParser {
  static func nodeClass(name: String, fields: JSONObject) -> NodeClass {
    let input = fields["input"]?.objectValue ?? [:]
    let order = fields["input_order"]?.objectValue ?? [:]
    let inputs = inputSpecs(input, order: order)
    var hidden: [HiddenInput] = []
    for (hiddenName, spec) in input["hidden"]?.objectValue ?? [:] {
      let kind = spec.stringValue ?? spec.arrayValue?.first?.stringValue ?? spec.serialized()
      hidden.append(HiddenInput(name: hiddenName, kind: kind, isArgument: spec.stringValue != nil))
    }
    let outputTypes = fields["output"]?.arrayValue ?? []
    let outputNames = fields["output_name"]?.arrayValue ?? []
    let outputIsList = fields["output_is_list"]?.arrayValue ?? []
    let outputTooltips = fields["output_tooltips"]?.arrayValue ?? []
    let matchTypes: [String?] = fields["output_matchtypes"]?.arrayValue?.map(\.stringValue) ?? []
    var outputs: [OutputSpec] = []
    outputs.reserveCapacity(outputTypes.count)
    for (i, rawType) in outputTypes.enumerated() {
      var type = rawType.stringValue ?? (rawType.arrayValue != nil ? "COMBO" : rawType.serialized())
      // A match-type output carries what its template allows (what the matched input is linked to).
      if type == matchType, i < matchTypes.count, let template = matchTypes[i] {
        type = allowedTypes(ofTemplate: template, in: inputs) ?? "*"
      }
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
      searchAliases: fields["search_aliases"]?.arrayValue?.compactMap(\.stringValue) ?? [],
      priceBadge: fields["price_badge"]?.objectValue,
      outputMatchTypes: matchTypes,
      inputs: inputs, hiddenInputs: hidden, outputs: outputs, raw: fields)
  }

  /// The `required` then `optional` inputs of an `input` object, each group in `input_order` when the
  /// order names every input once; nested option and template inputs have no order and keep theirs.
  static func inputSpecs(_ input: JSONObject, order: JSONObject) -> [InputSpec] {
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
    return inputs
  }

  static let dynamicComboType = "COMFY_DYNAMICCOMBO_V3"
  static let autogrowType = "COMFY_AUTOGROW_V3"
  static let matchType = "COMFY_MATCHTYPE_V3"

  /// The `allowed_types` of the match-type template `id`, looked for through options and templates.
  static func allowedTypes(ofTemplate id: String, in inputs: [InputSpec]) -> String? {
    for spec in inputs {
      switch spec.kind {
      case .link(let type) where spec.rawType == .string(matchType):
        if spec.options["template"]?["template_id"]?.stringValue == id { return type }
      case .dynamicCombo(let combo):
        for option in combo.options {
          if let found = allowedTypes(ofTemplate: id, in: option.inputs) { return found }
        }
      case .autogrow(let grow):
        if let found = allowedTypes(ofTemplate: id, in: grow.template) { return found }
      default:
        break
      }
    }
    return nil
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
      case dynamicComboType:
        let choices = (options["options"]?.arrayValue ?? []).compactMap { option -> DynamicCombo.Option? in
          guard let key = option["key"]?.stringValue else { return nil }
          return DynamicCombo.Option(
            key: key, inputs: inputSpecs(option["inputs"]?.objectValue ?? [:], order: [:]))
        }
        kind = .dynamicCombo(DynamicCombo(options: choices))
      case autogrowType:
        let template = options["template"]?.objectValue ?? [:]
        let slots: [String]
        if let names = template["names"]?.arrayValue {
          slots = names.compactMap(\.stringValue)
        } else {
          let prefix = template["prefix"]?.stringValue ?? ""
          let maximum = template["max"]?.numberValue?.int64Value.map { Int(clamping: $0) } ?? 0
          slots = (0..<max(0, min(maximum, 1000))).map { "\(prefix)\($0)" }
        }
        let minimum = template["min"]?.numberValue?.int64Value.map { Int(clamping: $0) } ?? 0
        kind = .autogrow(
          Autogrow(
            template: inputSpecs(template["input"]?.objectValue ?? [:], order: [:]), slotNames: slots,
            minimum: max(0, minimum)))
      case matchType:
        kind = .link(options["template"]?["allowed_types"]?.stringValue ?? "*")
      default: kind = .link(type)
      }
    default:
      kind = .link(rawType.serialized())
    }
    return InputSpec(name: name, isRequired: isRequired, kind: kind, options: options, rawType: rawType)
  }
}
