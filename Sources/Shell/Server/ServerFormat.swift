import ComfyClient
import ComfyRules
import Workflow

/// How server results read: durations, progress bars, node labels, file lists, errors.
enum ServerFormat {
  /// `0.4 s`, `12.5 s`, `2 min 5 s` (the transcript checker treats these as durations).
  static func seconds(_ value: Double) -> String {
    if value < 60 { return "\((max(0, value) * 10).rounded() / 10) s" }
    let whole = Int(value.rounded())
    return "\(whole / 60) min \(whole % 60) s"
  }

  /// `██████░░░░░░░░ 43%`.
  static func bar(_ fraction: Double, width: Int = 14) -> String {
    let clamped = min(1, max(0, fraction))
    let filled = Int((clamped * Double(width)).rounded(.down))
    let percent = Int((clamped * 100).rounded(.down))
    return String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
      + " \(percent)%"
  }

  /// A node as lists show it: its title, with its class when that says more (`Save Image (SaveImage)`).
  static func label(_ run: NodeRun) -> String {
    guard let title = run.title, !title.isEmpty else { return run.classType ?? "?" }
    guard let classType = run.classType, classType != title else { return title }
    return "\(title) (\(classType))"
  }

  /// `output/ComfyUI_00031_.png, output/ComfyUI_00032_.png (+3 more)`.
  static func files(_ files: [OutputFile], limit: Int = 3) -> String {
    let shown = files.prefix(limit).map(\.path).joined(separator: ", ")
    return files.count > limit ? shown + " (+\(files.count - limit) more)" : shown
  }

  static func fileJSON(_ file: OutputFile, node: String? = nil) -> JSONValue {
    var object: JSONObject = [:]
    if let node { object["node"] = .string(node) }
    object["filename"] = .string(file.filename)
    object["subfolder"] = .string(file.subfolder)
    object["type"] = .string(file.type)
    return .object(object)
  }

  /// The prompt's node errors as lines a user can act on, one per error.
  static func nodeErrorLines(_ reports: [NodeErrorReport], workflow: Workflow) -> [String] {
    reports.flatMap { report -> [String] in
      let title = workflow[report.nodeID]?.title.map { " \"\($0)\"" } ?? ""
      return report.errors.map { item in
        var line =
          "node \(report.nodeID) (\(report.classType ?? workflow[report.nodeID]?.classType ?? "?"))\(title)"
        if let input = item.inputName { line += " \(input)" }
        return line + ": " + item.explanation(nodeID: report.nodeID)
      }
    }
  }

  static func nodeErrorsJSON(_ reports: [NodeErrorReport]) -> JSONValue {
    .array(
      reports.map { report in
        var object: JSONObject = ["node": .string(report.nodeID)]
        object["class_type"] = report.classType.map(JSONValue.string) ?? .null
        object["errors"] = .array(
          report.errors.map { item in
            var error: JSONObject = [
              "type": .string(item.type), "message": .string(item.message), "details": .string(item.details),
            ]
            error["input"] = item.inputName.map(JSONValue.string) ?? .null
            return .object(error)
          })
        object["dependent_outputs"] = .array(report.dependentOutputs.map(JSONValue.string))
        return .object(object)
      })
  }
}

extension NodeErrorReport.Item {
  /// The server's message with the details it left out, and the command that fixes the common types.
  func explanation(nodeID: String) -> String {
    let node = NodeRef.id(nodeID)
    var text = message.isEmpty ? type : message
    switch type {
    case "required_input_missing":
      text +=
        inputName.map { " (set it: set \(node).\($0) VALUE, or link it: link \(node).\($0) NODE:SLOT)" } ?? ""
    case "value_not_in_list", "custom_validation_failed", "invalid_input_type", "bad_linked_input",
      "return_type_mismatch":
      if !details.isEmpty && !text.contains(details) { text += " — \(details)" }
    case "exception_during_inner_validation", "exception_during_validation":
      if let exception = extraInfo["exception_type"]?.stringValue {
        let what = extraInfo["exception_message"]?.stringValue ?? details
        text += " (\(exception) \(what))"
        if exception == "KeyError" { text += "; a link points to a node that does not exist" }
        if exception == "IndexError" { text += "; a link uses an output slot the node does not have" }
      } else if !details.isEmpty {
        text += " (\(details))"
      }
    default:
      if !details.isEmpty && !text.contains(details) && details != inputName { text += " (\(details))" }
    }
    return text
  }
}
