import Workflow

/// How values, inputs and nodes are written for people; every form reads back with `set`.
public enum Render {
  /// A value as `set` accepts it: strings quoted, numbers as written, lists and objects as JSON.
  public static func value(_ value: JSONValue) -> String {
    value.serialized()
  }

  /// A value shortened to `limit` characters for tables (`…` marks the cut).
  public static func short(_ value: JSONValue, limit: Int = 60) -> String {
    let text = Render.value(value)
    guard text.count > limit else { return text }
    return String(text.prefix(limit - 1)) + "…"
  }

  /// An input's value: a link as `14:0`, a literal as `value(_:)`.
  public static func input(_ value: InputValue) -> String {
    switch value {
    case .link(let node, let slot): "\(NodeRef.id(node)):\(slot)"
    case .value(let v): Render.value(v)
    case .malformedLink(let raw): Render.value(raw) + " (not a valid link: a link is [\"NODE\", SLOT])"
    }
  }

  /// `11  FluxProUltraImageNode  "Flux 1.1 [pro] Ultra Image"`, padded into columns.
  public static func table(_ rows: [[String]], indent: String = "  ", gap: String = "  ") -> [String] {
    guard let columns = rows.map(\.count).max() else { return [] }
    var widths = [Int](repeating: 0, count: columns)
    for row in rows {
      for (i, cell) in row.enumerated() where i < columns - 1 { widths[i] = max(widths[i], cell.count) }
    }
    return rows.map { row in
      var line = indent
      for (i, cell) in row.enumerated() {
        if i > 0 { line += gap }
        line += i < row.count - 1 ? cell.padding(to: widths[i]) : cell
      }
      return line.trimmingTrailingBlanks()
    }
  }

  /// A node's title quoted, or empty.
  public static func title(_ node: Node) -> String {
    node.title.map { JSONValue.string($0).serialized() } ?? ""
  }

  public static func plural(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
    "\(count) \(count == 1 ? singular : plural ?? singular + "s")"
  }
}

extension String {
  func padding(to width: Int) -> String {
    let missing = width - count
    return missing > 0 ? self + String(repeating: " ", count: missing) : self
  }
}
