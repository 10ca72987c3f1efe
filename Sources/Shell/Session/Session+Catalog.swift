import Workflow

/// What the session knows about node classes; without a catalog, values are untyped.
extension Session {
  /// True for API nodes (paid, need a key).
  public func isPaid(_ node: Node) -> Bool { false }

  /// Extra rows for `show` from the catalog (missing required inputs, outputs).
  func catalogNotes(for node: Node) -> [[String]] { [] }

  /// Output names of a class, for `NODE:NAME` addresses.
  func outputNames(_ classType: String) -> [String]? { nil }

  /// "node 11 has no input sede (did you mean seed?)".
  func missingInputMessage(_ name: String, nodeID: String) -> String {
    let known = Array(workflow[nodeID]?.inputs.keys ?? [])
    var message = "node \(nodeID) (\(workflow[nodeID]?.classType ?? "?")) has no input \(name)"
    if let close = Suggest.closest(name, in: known) {
      message += " (did you mean \(close)?)"
    } else if !known.isEmpty {
      message += "; its inputs are \(known.joined(separator: ", "))"
    }
    return message
  }

  /// Refuses an input name the node does not have, since the server ignores unknown inputs and a typo
  /// would go unnoticed; `--new` (allowNew) adds it anyway. A node with no inputs yet accepts any name.
  func checkInputName(_ name: String, of node: Node, allowNew: Bool) throws {
    if allowNew || node.inputs[name] != nil || node.inputs.isEmpty { return }
    let known = Array(node.inputs.keys)
    var message = missingInputMessage(name, nodeID: node.id)
    message += "; to add it anyway: \(currentCommandName) --new \(NodeRef.id(node.id)).\(name) …"
    throw ShellError(message)
  }

  /// Checks and converts a value for an input; returns a note when the value was changed.
  func coerce(_ value: JSONValue, input: String, of node: Node) throws -> (JSONValue, String?) {
    (value, nil)
  }

  /// Checks that a link's source exists, would not make a cycle, and (with a catalog) that its type fits.
  func checkLink(from source: String, slot: Int, to input: String, of node: Node) throws {
    guard workflow[source] != nil else { throw ShellError(workflow.missingNodeMessage(source)) }
    if source == node.id || workflow.upstream(of: source).contains(node.id) {
      throw ShellError(
        "linking \(NodeRef.id(node.id)).\(input) to \(NodeRef.id(source)):\(slot) would make a cycle (\(source) depends on \(node.id)); ComfyUI cannot run cycles"
      )
    }
  }

  /// The default a widget input returns to when unlinked (from the catalog).
  func defaultValue(for input: String, of node: Node) -> JSONValue? { nil }

  /// A new node of a class: with a catalog, its title and widget defaults.
  func newNode(id: String, classType: String) throws -> Node {
    Node(id: id, classType: classType, title: classType)
  }

  /// What `add` says after adding: inputs that still need a link.
  func addNotes(for node: Node) -> [String] { [] }

  /// The first word of the command being run (for hints that repeat it).
  var currentCommandName: String {
    String(currentSource.split(separator: " ", maxSplits: 1).first ?? "set")
  }
}
