import Workflow

/// A widget of a node as the frontend builds it (litegraphService.ts `#addInputWidget`, widgets.ts,
/// the core extensions), with the two flags that decide where its value goes.
struct LiveWidget {
  var name: String
  /// nil is JavaScript's `undefined` (a combo with no options and no default): left out of the prompt.
  var value: JSONValue?
  /// `widget.serialize !== false`: takes a place in `widgets_values`.
  var takesValue: Bool = true
  /// `widget.options.serialize !== false`: sent in the prompt.
  var sent: Bool = true
  /// The input it edits, for number rounding, `dynamicPrompts` and combo choices.
  var spec: InputSpec?
  var role: Role = .plain

  enum Role {
    case plain
    /// A `dynamicPrompts` text: comments stripped and `{a|b}` chosen on every queue.
    case dynamicPrompt
    /// A save node's `filename_prefix`: `%Node.widget%` and `%date:…%` replaced.
    case filenamePrefix
  }
}

/// The frontend's view of one node class: its input sockets and widgets in creation order.
struct FrontendNodeDef {
  let nodeClass: NodeClass
  /// Every input slot the node is created with: sockets first, then one per widget input.
  var inputs: [(name: String, type: String, widgetName: String?)] = []
  var widgets: [LiveWidget] = []
  /// What migrateWidgetsValues counts: inputs that have a widget or force an input, a control
  /// counting twice.
  var migration: [(spec: InputSpec, count: Int)] = []

  /// The input types that get a widget (widgets.ts `ComfyWidgets`).
  static let widgetTypes: Set<String> = [
    "INT", "FLOAT", "BOOLEAN", "STRING", "MARKDOWN", "COMBO", "IMAGEUPLOAD", "FILEUPLOAD", "COLOR",
    "IMAGECOMPARE", "TREESELECT", "MULTISELECT", "CHART", "GALLERIA", "SELECTBUTTON", "TEXTAREA",
    // Registered by the core extensions (getCustomWidgets).
    "AUDIO_UI", "AUDIOUPLOAD", "AUDIO_RECORD", "PREVIEW_3D", "PREVIEW_3D_ANIMATION", "LOAD_3D",
    "LOAD_3D_ANIMATION",
  ]
  /// saveImageExtraOutput.ts: the nodes whose `filename_prefix` gets text replacements.
  static let saveNodeTypes: Set<String> = [
    "SaveImage", "SaveAnimatedWEBP", "SaveWEBM", "SaveAudio", "SaveGLB", "SaveAnimatedPNG", "CLIPSave",
    "VAESave", "ModelSave", "LoraSave", "SaveLatent",
  ]

  init(_ nodeClass: NodeClass) {
    self.nodeClass = nodeClass
    var specs = nodeClass.inputs
    // uploadImage.ts: a required combo with image/video/animated upload gets an IMAGEUPLOAD input
    // named `upload`, which input_order does not list, so it comes last.
    if let upload = specs.first(where: { spec in
      spec.isRequired && spec.combo != nil
        && ["image_upload", "video_upload", "animated_image_upload"].contains {
          spec.options[$0]?.boolValue == true
        }
    }) {
      var options = upload.options
      options["imageInputName"] = .string(upload.name)
      specs.append(
        InputSpec(
          name: "upload", isRequired: true, kind: .link("IMAGEUPLOAD"), options: options,
          rawType: "IMAGEUPLOAD"))
    }
    // uploadAudio.ts, load3d.ts, saveMesh.ts: widgets some core classes get from the page.
    func extra(_ name: String, _ type: String) {
      specs.append(
        InputSpec(name: name, isRequired: true, kind: .link(type), options: [:], rawType: .string(type)))
    }
    if ["LoadAudio", "SaveAudio", "PreviewAudio", "SaveAudioMP3", "SaveAudioOpus"].contains(nodeClass.name) {
      extra("audioUI", "AUDIO_UI")
    }
    if specs.contains(where: {
      $0.name == "audio" && $0.isRequired && $0.options["audio_upload"]?.boolValue == true
    }) {
      extra("upload", "AUDIOUPLOAD")
    }
    if ["Preview3D", "SaveGLB"].contains(nodeClass.name) { extra("image", "PREVIEW_3D") }
    if nodeClass.name == "Preview3DAnimation" { extra("image", "PREVIEW_3D_ANIMATION") }
    var sockets: [(String, String, String?)] = []
    var widgetInputs: [(String, String, String?)] = []
    for spec in specs {
      let type = Self.typeName(spec)
      let hasWidget = Self.widgetTypes.contains(spec.options["widgetType"]?.stringValue ?? type)
      if !hasWidget || spec.forcesInput {
        sockets.append((spec.name, type, nil))
        if spec.forcesInput { migration.append((spec, 1)) }
        continue
      }
      widgetInputs.append((spec.name, type, spec.name))
      widgets += Self.widgets(for: spec, type: type, nodeClass: nodeClass.name)
      migration.append(
        (
          spec,
          spec.options["control_after_generate"].map(UIValue.truthy) == true
            || ["seed", "noise_seed"].contains(spec.name) ? 2 : 1
        ))
    }
    inputs = sockets + widgetInputs
    // previewAny.ts: a read-only text shown after a run; it has no place in widgets_values but is sent.
    if nodeClass.name == "PreviewAny" {
      widgets.append(LiveWidget(name: "preview", value: "", takesValue: false))
    }
  }

  /// The frontend's English names (its own translations) for the core classes that object_info
  /// gives no `display_name`; other classes show the server's display name, else the class name.
  static let englishNames: [String: String] = [
    "ImageBlend": "Image Blend", "ImageBlur": "Image Blur", "ImageQuantize": "Image Quantize",
    "ImageSharpen": "Image Sharpen", "ImageScaleToTotalPixels": "Scale Image to Total Pixels",
  ]

  /// The title a node of this class has until someone renames it.
  var title: String {
    if case .string(let name)? = nodeClass.raw["display_name"], !name.isEmpty { return name }
    return Self.englishNames[nodeClass.name] ?? nodeClass.name
  }

  /// The type as the V2 node definition holds it: a list of options is a COMBO.
  static func typeName(_ spec: InputSpec) -> String {
    if case .string(let text) = spec.rawType { return text }
    return "COMBO"
  }

  static func widgets(for spec: InputSpec, type: String, nodeClass: String) -> [LiveWidget] {
    var widget = LiveWidget(name: spec.name, value: defaultValue(spec, type: type), spec: spec)
    if spec.options["dynamicPrompts"]?.boolValue == true { widget.role = .dynamicPrompt }
    if spec.name == "filename_prefix", saveNodeTypes.contains(nodeClass) { widget.role = .filenamePrefix }
    switch type {
    case "INT":
      let control = spec.options["control_after_generate"]
      guard control.map(UIValue.truthy) ?? ["seed", "noise_seed"].contains(spec.name) else { return [widget] }
      return [widget, controlWidget(spec)]
    case "COMBO":
      var widgets = [widget]
      if spec.options["remote"] != nil {
        // useRemoteWidget.ts: an auto-refresh toggle (kept, not sent), and a refresh button (sent).
        widgets.append(LiveWidget(name: "Auto-refresh after generation", value: false, sent: false))
        if UIValue.truthy(spec.options["remote"]?["refresh_button"]) {
          widgets.append(LiveWidget(name: "refresh", value: "refresh"))
        }
      }
      guard UIValue.truthy(spec.options["control_after_generate"]) else { return widgets }
      // A combo's control comes with a filter list (addValueControlWidgets with addFilterList).
      var filter = LiveWidget(name: controlName(spec, "control_filter_list"), value: "", sent: false)
      filter.takesValue = true
      return widgets + [controlWidget(spec), filter]
    case "AUDIO_UI":
      // The audio player: no place in widgets_values, sent as "".
      return [LiveWidget(name: "audioUI", value: "", takesValue: false)]
    case "AUDIOUPLOAD":
      return [LiveWidget(name: spec.name, value: "", sent: false)]
    case "AUDIO_RECORD":
      return [LiveWidget(name: spec.name, value: ""), LiveWidget(name: spec.name, value: "", sent: false)]
    case "PREVIEW_3D", "PREVIEW_3D_ANIMATION":
      return [LiveWidget(name: spec.name, value: "")]
    case "LOAD_3D", "LOAD_3D_ANIMATION":
      // The scene widget renders and uploads the 3D view when the page queues; its buttons are sent.
      return [
        LiveWidget(name: "upload 3d model", value: "upload3dmodel"),
        LiveWidget(name: "upload extra resources", value: "uploadExtraResources"),
        LiveWidget(name: "clear", value: "clear"), LiveWidget(name: spec.name, value: ""),
      ]
    case "IMAGEUPLOAD":
      // The upload button: saved in widgets_values ("image"), never sent.
      return [LiveWidget(name: spec.name, value: "image", sent: false)]
    default:
      return [widget]
    }
  }

  static func controlWidget(_ spec: InputSpec) -> LiveWidget {
    LiveWidget(name: controlName(spec, "control_after_generate"), value: "randomize", sent: false)
  }

  /// addValueControlWidgets' `getName`: the option's text when it is one, else a prefix, else the default.
  static func controlName(_ spec: InputSpec, _ defaultName: String) -> String {
    if case .string(let name)? = spec.options[defaultName] { return name }
    if case .string(let prefix)? = spec.options["control_prefix"], !prefix.isEmpty {
      return prefix + " " + defaultName
    }
    return defaultName
  }

  /// What a new widget holds: the input's default, else 0, "", false, or a combo's first choice.
  static func defaultValue(_ spec: InputSpec, type: String) -> JSONValue? {
    switch type {
    case "INT", "FLOAT": return spec.defaultValue ?? 0
    case "BOOLEAN": return spec.defaultValue ?? false
    case "STRING", "MARKDOWN", "TEXTAREA": return spec.defaultValue ?? ""
    case "COMBO":
      if let value = spec.defaultValue, UIValue.truthy(value) { return value }
      return spec.combo?.options.first
    default: return spec.defaultValue
    }
  }

  /// litegraphUtil.ts `migrateWidgetsValues`: values saved with forceInput inputs still in the list
  /// lose those entries when the count matches exactly.
  func migrate(_ values: [JSONValue]) -> [JSONValue] {
    let expected = migration.reduce(0) { $0 + $1.count }
    guard expected == values.count else { return values }
    // `_.zip` pairs the i-th input with the i-th value (controls are only counted, not paired) and
    // pads the shorter side; values paired with a forceInput input are dropped.
    var result: [JSONValue] = []
    for (position, value) in values.enumerated()
    where position >= migration.count || !migration[position].spec.forcesInput {
      result.append(value)
    }
    return result
  }
}

/// What a number widget's callback does to a value set from outside (a PrimitiveNode's
/// `applyToGraph`): FLOAT rounds to `round` and clamps (useFloatWidget.ts), INT rounds to its step.
enum WidgetCallback {
  static func apply(_ value: JSONValue?, _ spec: InputSpec?) -> JSONValue? {
    guard let spec, case .number(let n)? = value else { return value }
    let v = n.doubleValue
    switch FrontendNodeDef.typeName(spec) {
    case "FLOAT":
      let step = spec.step?.doubleValue ?? 0.5
      let precision = max(0, -Int(log10(step).rounded(.down)))
      let given = spec.options["round"]
      let round =
        precision != 0 && !UIValue.truthy(given) ? pow10(-precision) : (given?.numberValue?.doubleValue ?? 0)
      guard round != 0, !round.isNaN else { return value }
      var rounded = UIValue.toFixed(UIValue.mathRound(v / round) * round, precision)
      rounded = min(max(rounded, spec.min?.doubleValue ?? 0), spec.max?.doubleValue ?? 2048)
      return rounded == v ? value : UIValue.number(rounded)
    case "INT":
      let step = spec.step?.doubleValue ?? 1
      if step == 1 {
        let rounded = UIValue.mathRound(v)
        return rounded == v ? value : UIValue.number(rounded)
      }
      let offset = (spec.min?.doubleValue ?? 0).truncatingRemainder(dividingBy: step)
      let rounded = UIValue.mathRound((v - offset) / step) * step + offset
      return rounded == v ? value : UIValue.number(rounded)
    default:
      return value
    }
  }

  static func pow10(_ e: Int) -> Double {
    var result = 1.0
    for _ in 0..<abs(e) { result *= 10 }
    return e < 0 ? 1 / result : result
  }

  static func log10(_ x: Double) -> Double {
    guard x > 0 else { return 0 }
    var e = 0.0
    var y = x
    while y >= 10 {
      y /= 10
      e += 1
    }
    while y < 1 {
      y *= 10
      e -= 1
    }
    return e + (y > 1 ? 0.5 : 0)  // only the floor is ever used
  }
}
