import Workflow

/// A V3 `COMFY_DYNAMICCOMBO_V3` input: a choice whose selected option brings inputs of its own, which a
/// prompt writes under dotted names (`resize_type` = `"scale dimensions"`, `resize_type.width` = 128).
public struct DynamicCombo: Sendable, Equatable {
  public struct Option: Sendable, Equatable {
    public var key: String
    /// The option's inputs with their short names (`width`), required ones first, as object_info lists them.
    public var inputs: [InputSpec]

    public init(key: String, inputs: [InputSpec]) {
      self.key = key
      self.inputs = inputs
    }
  }

  public var options: [Option]

  public init(options: [Option]) {
    self.options = options
  }

  public var keys: [String] { options.map(\.key) }

  public func option(_ key: String) -> Option? {
    options.first { $0.key == key }
  }
}

/// A V3 `COMFY_AUTOGROW_V3` input: slots that appear as links are made (`images.image0`, `images.image1`…),
/// each shaped like the template; the first `min` are required and there are at most `slotNames.count`.
public struct Autogrow: Sendable, Equatable {
  /// The template's inputs; the slot takes the name, one input per slot (a row of fields when several).
  public var template: [InputSpec]
  /// `prefix + 0 … prefix + (max-1)`, or the template's `names`.
  public var slotNames: [String]
  public var minimum: Int

  public init(template: [InputSpec], slotNames: [String], minimum: Int) {
    self.template = template
    self.slotNames = slotNames
    self.minimum = minimum
  }

  public var maximum: Int { slotNames.count }
}

extension InputSpec {
  /// The last segment of a dotted name (`height` for `resize_type.height`): what server messages call it.
  public var leafName: String {
    guard let dot = name.lastIndex(of: ".") else { return name }
    return String(name[name.index(after: dot)...])
  }

  /// The spec under a parent's dotted name. A selected option's required inputs are required even
  /// under an optional selector: choosing the option asks for them.
  func nested(under parent: String, required: Bool) -> InputSpec {
    var copy = self
    copy.name = "\(parent).\(name)"
    copy.isRequired = required
    return copy
  }
}

extension InputSpec {
  /// Required, and checked for: 0.33 lets a required dynamic combo's selector be absent (the node
  /// then fails when it runs, for want of the argument).
  var mustBePresent: Bool {
    if case .dynamicCombo = kind { return false }
    return isRequired
  }

  /// The type a link into this input must fit: a match-type input's allowed types, else the raw type.
  var linkedType: JSONValue {
    if case .link(let type) = kind, rawType == .string(CatalogParser.matchType) { return .string(type) }
    return rawType
  }
}

extension NodeClass {
  /// The inputs a node of this class has with these values: every top-level input, then under each
  /// dynamic combo the sub-inputs of its selected option (to any depth), and under each autogrow its
  /// slots. Names are the dotted keys a prompt uses; a class without dynamic inputs returns `inputs`.
  ///
  /// A dynamic combo whose value is missing or not an option key contributes no sub-inputs (the server
  /// accepts such a prompt and the node fails when it runs).
  public func liveInputs(values: JSONObject) -> [InputSpec] {
    guard hasDynamicInputs else { return inputs }
    var result: [InputSpec] = []
    for spec in inputs { Self.expand(spec, values: values, into: &result) }
    return result
  }

  /// The input names worth offering for a node with these values: `liveInputs`, but of each autogrow
  /// only the slots in use and the next free one (not all fifty).
  public func editableInputNames(values: JSONObject) -> [String] {
    guard hasDynamicInputs else { return inputs.map(\.name) }
    var names: [String] = []
    for spec in inputs {
      guard case .autogrow(let grow) = spec.kind else {
        var expanded: [InputSpec] = []
        Self.expand(spec, values: values, into: &expanded)
        names += expanded.map(\.name)
        continue
      }
      var offeredFree = false
      for slot in grow.slotNames {
        let name = "\(spec.name).\(slot)"
        let used = values[name] != nil || values.keys.contains { $0.hasPrefix(name + ".") }
        if used {
          names.append(name)
        } else if !offeredFree {
          names.append(name)
          offeredFree = true
        }
      }
    }
    return names
  }

  /// Whether any input is a dynamic combo or an autogrow (so `liveInputs` differs from `inputs`).
  public var hasDynamicInputs: Bool {
    inputs.contains { spec in
      switch spec.kind {
      case .dynamicCombo, .autogrow: true
      default: false
      }
    }
  }

  /// The live input called `name` (`resize_type.width`), given the node's values.
  public func liveInput(named name: String, values: JSONObject) -> InputSpec? {
    if let plain = input(named: name) { return plain }
    guard name.contains(".") else { return nil }
    return liveInputs(values: values).first { $0.name == name }
  }

  private static func expand(_ spec: InputSpec, values: JSONObject, into result: inout [InputSpec]) {
    switch spec.kind {
    case .dynamicCombo(let combo):
      result.append(spec)
      guard let key = values[spec.name]?.stringValue, let option = combo.option(key) else { return }
      for input in option.inputs {
        expand(input.nested(under: spec.name, required: input.isRequired), values: values, into: &result)
      }
    case .autogrow(let grow):
      for (index, slot) in grow.slotNames.enumerated() {
        let required = spec.isRequired && index < grow.minimum
        if grow.template.count == 1, let only = grow.template.first {
          var slotSpec = only
          slotSpec.name = "\(spec.name).\(slot)"
          slotSpec.isRequired = required
          expand(slotSpec, values: values, into: &result)
        } else {
          for field in grow.template {
            expand(
              field.nested(under: "\(spec.name).\(slot)", required: required && field.isRequired),
              values: values,
              into: &result)
          }
        }
      }
    default:
      result.append(spec)
    }
  }
}
