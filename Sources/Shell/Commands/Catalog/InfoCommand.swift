import ComfyRules
import Workflow

struct InfoCommand: Command {
  static let name = "info"
  static let group = CommandGroup.server
  static let usage = "info CLASS|NODE"
  static let summary =
    "Describe a node class: inputs with types, defaults, ranges, choices and tooltips; outputs with names and types; paid or not."
  static let example = "info KSampler"
  static let arguments: [ArgumentKind] = [.className]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(1)
    guard let catalog = await session.catalog.load() else {
      throw ShellError(
        "no node catalog: \(session.catalog.unavailableReason ?? "unknown reason"); connect to a server or start with --catalog FILE"
      )
    }
    var name = arguments[0].text
    // `info 3` or `info @Sampler` describes that node's class.
    if catalog[className: name] == nil, let id = try? session.resolveNode(arguments[0]),
      let cls = session.workflow[id]?.classType
    {
      name = cls
    }
    guard let nodeClass = catalog[className: name] else {
      let close = catalog.suggestions(for: name)
      throw ShellError(
        "there is no node class \(name)\(close.isEmpty ? "" : " (did you mean \(close.joined(separator: ", "))?)"); `catalog PATTERN` searches"
      )
    }
    if session.console.jsonMode {
      session.console.emit([
        "type": "info", "class_type": .string(nodeClass.name), "object_info": .object(nodeClass.raw),
      ])
      return
    }
    var header =
      "\(nodeClass.name)  \(JSONValue.string(nodeClass.displayName).serialized())  \(nodeClass.category)"
    if nodeClass.isAPINode { header += "  paid API node (needs a key: `key use NAME`)" }
    if nodeClass.isOutputNode { header += "  output node" }
    if nodeClass.isDeprecated { header += "  deprecated" }
    if nodeClass.isExperimental { header += "  experimental" }
    var lines = [header]
    if !nodeClass.description.isEmpty { lines.append("  " + nodeClass.description) }
    if let badge = nodeClass.priceBadge { lines += priceLines(badge) }
    if !nodeClass.searchAliases.isEmpty {
      lines.append("  also found as: " + nodeClass.searchAliases.joined(separator: ", "))
    }
    if !nodeClass.inputs.isEmpty { lines.append("inputs:") }
    var rows: [[String]] = []
    let checksCombos = ValidationRules(for: catalog) == .comfyUI0_33
    for input in nodeClass.inputs {
      addRows(for: input, name: input.name, depth: 0, checksCombos: checksCombos, to: &rows)
    }
    lines += Render.table(rows)
    lines.append("outputs:")
    if nodeClass.outputs.isEmpty { lines.append("  (none)") }
    lines += Render.table(
      nodeClass.outputs.enumerated().map { slot, output in
        [
          String(slot), output.name, output.type == output.name ? "" : output.type,
          output.isList ? "list" : "",
        ]
      })
    session.console.print(lines: lines)
  }

  /// One input's row and tooltip; a dynamic combo's options follow as a tree of their sub-inputs
  /// (under their dotted names), an autogrow's template under its slot names.
  static func addRows(
    for input: InputSpec, name: String, depth: Int, checksCombos: Bool, to rows: inout [[String]]
  ) {
    let indent = String(repeating: "    ", count: depth)
    rows.append([
      indent + name, input.isRequired ? "" : "optional", describe(input, checksCombos: checksCombos),
    ])
    if let tooltip = input.tooltip, !tooltip.isEmpty { rows.append(["", "", "  " + tooltip]) }
    switch input.kind {
    case .dynamicCombo(let combo):
      for option in combo.options {
        rows.append([indent + "  = " + JSONValue.string(option.key).serialized(), "", ""])
        if option.inputs.isEmpty { rows.append([indent + "      (no inputs)", "", ""]) }
        for sub in option.inputs {
          addRows(
            for: sub, name: "\(name).\(sub.name)", depth: depth + 1, checksCombos: checksCombos, to: &rows)
        }
      }
    case .autogrow(let grow):
      guard let first = grow.slotNames.first else { break }
      let range = grow.slotNames.count > 1 ? "\(first) … \(grow.slotNames.last ?? first)" : first
      for field in grow.template {
        let slot = grow.template.count == 1 ? "\(name).\(range)" : "\(name).\(range).\(field.name)"
        rows.append([indent + "  " + slot, "", describe(field, checksCombos: checksCombos)])
      }
    default:
      break
    }
  }

  /// The server's price description: the JSONata expression and what it reads.
  static func priceLines(_ badge: JSONObject) -> [String] {
    var lines: [String] = []
    if let expression = badge["expr"]?.stringValue {
      let oneLine = expression.split(whereSeparator: \.isNewline).map {
        $0.trimmingPrefix(while: \.isWhitespace)
      }.joined(separator: " ")
      lines.append("  price (\(badge["engine"]?.stringValue ?? "expression")): " + oneLine)
    }
    var reads: [String] = []
    for (key, label) in [("widgets", "widgets"), ("inputs", "inputs"), ("input_groups", "input groups")] {
      let names = badge["depends_on"]?[key]?.arrayValue?.compactMap(\.stringValue) ?? []
      if !names.isEmpty { reads.append(label + " " + names.joined(separator: ", ")) }
    }
    if !reads.isEmpty { lines.append("  price depends on " + reads.joined(separator: "; ")) }
    return lines
  }

  /// `INT 20 (1…10000)`, `COMBO "euler" of 30: euler, euler_ancestral, …`, `IMAGE link`.
  static func describe(_ input: InputSpec, checksCombos: Bool = false) -> String {
    var parts: [String] = []
    switch input.kind {
    case .int, .float:
      parts.append(input.kind.typeName)
      if let value = input.defaultValue { parts.append("default " + Render.value(value)) }
      if let min = input.min, let max = input.max {
        parts.append("\(min.text)…\(max.text)")
      } else if let min = input.min {
        parts.append("≥ \(min.text)")
      } else if let max = input.max {
        parts.append("≤ \(max.text)")
      }
      if let step = input.step { parts.append("step \(step.text)") }
    case .boolean, .string:
      parts.append(input.kind.typeName)
      if let value = input.defaultValue { parts.append("default " + Render.short(value, limit: 40)) }
      if input.options["multiline"]?.boolValue == true { parts.append("multiline") }
    case .combo(let combo):
      let names = combo.names
      var text = "COMBO of \(names.count)"
      if let value = input.defaultValue { text += ", default " + Render.value(value) }
      if !names.isEmpty {
        let shown = names.prefix(8).map { JSONValue.string($0).serialized() }.joined(separator: ", ")
        text += ": " + shown + (names.count > 8 ? ", …" : "")
      }
      if input.isRemoteCombo {
        text +=
          " (listed by the page from \(input.options["remote"]?["route"]?.stringValue ?? "a route"); not checked)"
      } else if !combo.validatesOptions && !checksCombos {
        text += " (not checked by the server)"
      }
      if combo.multiselect { text += ", several at once" }
      parts.append(text)
    case .link(let type):
      parts.append(type + " (link)")
    case .dynamicCombo(let combo):
      let keys = combo.keys.prefix(8).map { JSONValue.string($0).serialized() }.joined(separator: ", ")
      parts.append(
        "choice of \(combo.options.count) with inputs of their own: \(keys)\(combo.options.count > 8 ? ", …" : "")"
      )
    case .autogrow(let grow):
      let types = grow.template.map(\.kind.typeName).joined(separator: ", ")
      parts.append(
        "grows \(types) slots as they are linked: \(grow.minimum) required, at most \(grow.maximum)")
    }
    if input.forcesInput { parts.append("link only") }
    if input.controlAfterGenerate { parts.append("seed control: `seed NODE.\(input.name) randomize`") }
    return parts.joined(separator: ", ")
  }
}
