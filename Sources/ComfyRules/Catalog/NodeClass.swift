import OrderedCollections
import Workflow

/// One node class of the server's catalog (`GET /object_info`), e.g. `KSampler`.
public struct NodeClass: Sendable {
  /// The class name used as `class_type` (`KSampler`).
  public var name: String
  /// What the UI shows (`"Flux 1.1 [pro] Ultra Image"`); the name when the server gives none.
  public var displayName: String
  public var category: String
  public var description: String
  /// Where the class is defined (`nodes`, `comfy_extras.nodes_upscale_model`, `custom_nodes.x`).
  public var pythonModule: String
  /// An output node (SaveImage, PreviewImage…): a prompt runs only the output nodes and what they need.
  public var isOutputNode: Bool
  /// A paid "API node" that needs a comfy.org key at run time (`api_node: true`).
  public var isAPINode: Bool
  public var isDeprecated: Bool
  public var isExperimental: Bool
  /// Whether the class uses ComfyUI's v3 schema. object_info does not say so; v3 classes always carry
  /// all of `deprecated`, `experimental` and `api_node`, while v1 classes only write those that are true.
  /// It matters for validation: v3 `RETURN_TYPES` is a list, v1's a tuple (their IndexError texts differ).
  public var isV3Schema: Bool
  /// Other words catalog search finds the class by (`search_aliases`, ComfyUI 0.4 and later).
  public var searchAliases: [String]
  /// What a run costs, as the server describes it (`price_badge`: a JSONata `expr` over the widgets
  /// and inputs it `depends_on`); nil when the class has none.
  public var priceBadge: JSONObject?
  /// For a `COMFY_MATCHTYPE_V3` output, the template it takes its type from (`output_matchtypes`).
  public var outputMatchTypes: [String?]
  /// Inputs in the order the UI lays them out: required ones, then optional ones, each in `input_order`.
  public var inputs: [InputSpec]
  /// Inputs the server fills in itself (`prompt`, `unique_id`, `api_key_comfy_org`…), never sent.
  public var hiddenInputs: [HiddenInput]
  public var outputs: [OutputSpec]
  /// The class's object_info entry as the server wrote it.
  public var raw: JSONObject

  public init(
    name: String, displayName: String? = nil, category: String = "", description: String = "",
    pythonModule: String = "", isOutputNode: Bool = false, isAPINode: Bool = false,
    isDeprecated: Bool = false, isExperimental: Bool = false, isV3Schema: Bool = false,
    searchAliases: [String] = [], priceBadge: JSONObject? = nil, outputMatchTypes: [String?] = [],
    inputs: [InputSpec] = [], hiddenInputs: [HiddenInput] = [], outputs: [OutputSpec] = [],
    raw: JSONObject = [:]
  ) {
    self.name = name
    self.displayName = displayName ?? name
    self.category = category
    self.description = description
    self.pythonModule = pythonModule
    self.isOutputNode = isOutputNode
    self.isAPINode = isAPINode
    self.isDeprecated = isDeprecated
    self.isExperimental = isExperimental
    self.isV3Schema = isV3Schema
    self.searchAliases = searchAliases
    self.priceBadge = priceBadge
    self.outputMatchTypes = outputMatchTypes
    self.inputs = inputs
    self.hiddenInputs = hiddenInputs
    self.outputs = outputs
    self.raw = raw
  }

  /// The input called `name` (required or optional), or nil.
  public func input(named name: String) -> InputSpec? {
    inputs.first { $0.name == name }
  }

  public var requiredInputs: [InputSpec] { inputs.filter(\.isRequired) }
  public var optionalInputs: [InputSpec] { inputs.filter { !$0.isRequired } }
  /// The inputs that take a typed value (widgets in the UI), in UI order.
  public var widgetInputs: [InputSpec] { inputs.filter(\.isWidget) }
  public var outputNames: [String] { outputs.map(\.name) }
}

/// An input the server supplies (`PROMPT`, `UNIQUE_ID`, `API_KEY_COMFY_ORG`…); the client never sends it.
public struct HiddenInput: Sendable, Equatable {
  public var name: String
  public var kind: String
  /// Declared in the v1 form (`"prompt": "PROMPT"`): ComfyUI passes it as an ordinary argument, so it
  /// shows in an execution error's `current_inputs`; v3 hidden inputs (`["UNIQUE_ID"]`) travel apart.
  public var isArgument: Bool
  public init(name: String, kind: String, isArgument: Bool = false) {
    self.name = name
    self.kind = kind
    self.isArgument = isArgument
  }
}

/// One output slot of a node class.
public struct OutputSpec: Sendable, Equatable {
  /// The slot's type (`IMAGE`); a few custom nodes declare a list of choices instead, kept in `rawType`.
  public var type: String
  /// `output_name`, falling back to the type.
  public var name: String
  /// `output_is_list`: the slot yields a list the server maps over.
  public var isList: Bool
  public var tooltip: String?
  /// The type exactly as object_info writes it (a string, or a list for combo-valued outputs).
  public var rawType: JSONValue

  public init(
    type: String, name: String? = nil, isList: Bool = false, tooltip: String? = nil, rawType: JSONValue? = nil
  ) {
    self.type = type
    self.name = name ?? type
    self.isList = isList
    self.tooltip = tooltip
    self.rawType = rawType ?? .string(type)
  }
}

/// What an input takes.
public enum InputKind: Sendable, Equatable {
  case int
  case float
  case boolean
  case string
  /// A choice from a list of options.
  case combo(ComboOptions)
  /// A link from another node's output of this type: `IMAGE`, `MODEL`, `*` (anything), `IMAGE,MASK` (either).
  /// A V3 `COMFY_MATCHTYPE_V3` input is a link of its template's allowed types.
  case link(String)
  /// A V3 choice whose selected option brings sub-inputs (`COMFY_DYNAMICCOMBO_V3`).
  case dynamicCombo(DynamicCombo)
  /// A V3 input that grows slots as they are linked (`COMFY_AUTOGROW_V3`).
  case autogrow(Autogrow)

  /// The type's name as ComfyUI writes it (`INT`, `COMBO`, `IMAGE`).
  public var typeName: String {
    switch self {
    case .int: "INT"
    case .float: "FLOAT"
    case .boolean: "BOOLEAN"
    case .string: "STRING"
    case .combo: "COMBO"
    case .link(let type): type
    case .dynamicCombo: "COMFY_DYNAMICCOMBO_V3"
    case .autogrow: "COMFY_AUTOGROW_V3"
    }
  }

  /// True for the kinds that hold a typed value (INT, FLOAT, BOOLEAN, STRING, COMBO, a dynamic combo's key).
  public var isValueKind: Bool {
    switch self {
    case .link, .autogrow: false
    default: true
    }
  }
}

/// The options of a COMBO input.
public struct ComboOptions: Sendable, Equatable {
  /// The choices in the server's order (nearly always strings).
  public var options: [JSONValue]
  /// Whether the server checks a value against `options` before running: true for the v1 list syntax
  /// `[["a","b"], {…}]`, false for v3 `["COMBO", {"options": […]}]`, which ComfyUI 0.3.64 does not check.
  public var validatesOptions: Bool
  /// A v3 combo that takes several choices at once (a list value).
  public var multiselect: Bool

  public init(options: [JSONValue], validatesOptions: Bool, multiselect: Bool = false) {
    self.options = options
    self.validatesOptions = validatesOptions
    self.multiselect = multiselect
  }

  /// The options as text (non-strings written as JSON), for messages and completion.
  public var names: [String] {
    options.map { $0.stringValue ?? $0.serialized() }
  }
}

/// One input of a node class, as object_info describes it.
public struct InputSpec: Sendable, Equatable {
  public var name: String
  public var isRequired: Bool
  public var kind: InputKind
  /// The options object (the second element of the spec), `{}` when there is none: `default`, `min`,
  /// `max`, `step`, `round`, `tooltip`, `control_after_generate`, `image_upload`, `forceInput`…
  public var options: JSONObject
  /// The first element of the spec as written: a type name, or the v1 list of choices.
  public var rawType: JSONValue

  public init(
    name: String, isRequired: Bool, kind: InputKind, options: JSONObject = [:], rawType: JSONValue? = nil
  ) {
    self.name = name
    self.isRequired = isRequired
    self.kind = kind
    self.options = options
    if let rawType {
      self.rawType = rawType
    } else if case .combo(let combo) = kind, combo.validatesOptions {
      self.rawType = .array(combo.options)
    } else {
      self.rawType = .string(kind.typeName)
    }
  }

  public var defaultValue: JSONValue? { options["default"] }
  public var min: JSONNumber? { options["min"]?.numberValue }
  public var max: JSONNumber? { options["max"]?.numberValue }
  public var step: JSONNumber? { options["step"]?.numberValue }
  public var tooltip: String? { options["tooltip"]?.stringValue }
  /// `forceInput`: a value kind the UI shows only as a socket.
  public var forcesInput: Bool { options["forceInput"]?.boolValue == true }
  /// A value you type (a widget in the UI) rather than a link; `forceInput` makes a value kind link-only.
  public var isWidget: Bool { kind.isValueKind && !forcesInput }
  /// The UI's seed control ("randomize", "increment"…) follows this widget. The frontend also adds it to
  /// INT inputs named `seed` or `noise_seed` unless the spec turns it off.
  public var controlAfterGenerate: Bool {
    if let flag = options["control_after_generate"]?.boolValue { return flag }
    if case .int = kind, name == "seed" || name == "noise_seed" { return true }
    return false
  }
  /// The combo picks a file the user can upload (`image_upload`, `audio_upload`, `video_upload`, `file_upload`).
  public var isUpload: Bool {
    ["image_upload", "audio_upload", "video_upload", "file_upload", "animated_image_upload"].contains {
      options[$0]?.boolValue == true
    }
  }
  /// The choices when this is a COMBO input.
  public var combo: ComboOptions? {
    if case .combo(let combo) = kind { return combo }
    return nil
  }
  /// The options when this is a V3 dynamic combo.
  public var dynamicCombo: DynamicCombo? {
    if case .dynamicCombo(let combo) = kind { return combo }
    return nil
  }
  /// A COMBO whose choices the page fetches from a route (`remote`); the server does not check them.
  public var isRemoteCombo: Bool { options["remote"] != nil }

  /// `[type, options]` exactly as the server echoes it in error `input_config` (options `{}` when absent).
  public var inputConfig: JSONValue { .array([rawType, .object(options)]) }
}
