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
  /// The explanation with `NODE` in hints replaced by the node's id.
  func explanation(nodeID: String) -> String {
    explanation.replacingOccurrences(of: "NODE.", with: "\(NodeRef.id(nodeID)).")
  }
}

extension String {
  func replacingOccurrences(of target: String, with replacement: String) -> String {
    guard !target.isEmpty, contains(target) else { return self }
    var result = ""
    var rest = self[...]
    while let range = rest.firstRange(of: target) {
      result += rest[..<range.lowerBound]
      result += replacement
      rest = rest[range.upperBound...]
    }
    result += rest
    return result
  }
}
