import Workflow

/// A place in ComfyUI's execution.py where validation can raise, with the line the server's
/// `traceback.format_tb` names (0.3.64's, or 0.33.0's), so a reproduced `exception_during_*` error
/// carries the same frames.
enum TracebackSite: Sendable, Equatable {
  /// `inputs = prompt[unique_id]['inputs']`: the node has no `inputs`.
  case readInputs
  /// `if x not in inputs:`: `inputs` is not a container.
  case inputMembership
  /// `val = inputs[x]`: `inputs` is a list or a string.
  case readInput
  /// `o_class_type = prompt[o_id]['class_type']`: a link to a node that is not in the prompt.
  case linkedNode
  /// `received_type = r[val[1]]`: a link to an output slot the class does not have.
  case linkedSlot
  /// `val < extra_info["min"]` with values Python cannot order.
  case minimum
  /// `val > extra_info["max"]` with values Python cannot order.
  case maximum
  /// The class's own VALIDATE_INPUTS raised (frames below execution.py are not reproduced).
  case customValidation
  /// The inner `await validate_inputs(...)` for a linked node, when links form a cycle.
  case recursion
  /// Inside the `try` around the conversions; never reported as a traceback.
  case conversion

  /// One line of source with Python 3.11's position markers under the failing expression.
  struct Frame {
    let line: Int
    let source: String
    let carets: String

    /// `column` is where the expression starts in the stripped line; `tildes` mark the value of a
    /// subscript, `carets` the failing part.
    init(_ line: Int, _ source: String, carets: String) {
      self.line = line
      self.source = source
      self.carets = carets
    }

    init(_ line: Int, _ source: String, column: Int, tildes: Int = 0, carets: Int) {
      self.line = line
      self.source = source
      self.carets =
        String(repeating: " ", count: column) + String(repeating: "~", count: tildes)
        + String(repeating: "^", count: carets)
    }
  }

  /// 0.33.0's lines. The recordings show the linked-node frame (933) and both callers; the others keep
  /// their distance from it as in 0.3.64 (the code between them did not change).
  private func frame(_ rules: ValidationRules) -> Frame? {
    guard let frame = frame0_3 else { return nil }
    guard rules == .comfyUI0_33 else { return frame }
    if self == .recursion { return Self.innerCall0_33 }
    let shift = frame.line < Self.innerCall.line ? 933 - 788 : Self.innerCall0_33.line - Self.innerCall.line
    return Frame(frame.line + shift, frame.source, carets: frame.carets)
  }

  private var frame0_3: Frame? {
    switch self {
    case .readInputs:
      Frame(730, "inputs = prompt[unique_id]['inputs']", column: 9, tildes: 17, carets: 10)
    case .inputMembership:
      Frame(757, "if x not in inputs:", column: 3, carets: 15)
    case .readInput:
      Frame(770, "val = inputs[x]", column: 6, tildes: 6, carets: 3)
    case .linkedNode:
      Frame(788, "o_class_type = prompt[o_id]['class_type']", column: 15, tildes: 6, carets: 6)
    case .linkedSlot:
      Frame(790, "received_type = r[val[1]]", column: 16, tildes: 1, carets: 8)
    case .minimum:
      Frame(869, "if \"min\" in extra_info and val < extra_info[\"min\"]:", column: 27, carets: 23)
    case .maximum:
      Frame(882, "if \"max\" in extra_info and val > extra_info[\"max\"]:", column: 27, carets: 23)
    case .customValidation:
      Frame(
        932,
        "ret = await _async_map_node_over_list(prompt_id, unique_id, obj_class, input_filtered, validate_function_name, hidden_inputs=hidden_inputs)",
        column: 6, carets: 133)
    case .recursion:
      Self.innerCall
    case .conversion:
      nil
    }
  }

  private static let innerCall = Frame(
    808, "r = await validate_inputs(prompt_id, prompt, o_id, validated)", column: 4, carets: 57)
  private static let outerCall = Frame(
    1010, "m = await validate_inputs(prompt_id, prompt, o, validated)", column: 4, carets: 54)
  private static let innerCall0_33 = Frame(
    955, "r = await validate_inputs(prompt_id, prompt, o_id, validated, visiting)", column: 4, carets: 67)
  private static let outerCall0_33 = Frame(
    1184, "m = await validate_inputs(prompt_id, prompt, o, validated)", column: 4, carets: 54)

  /// `traceback.format_tb` of the exception as caught: in validate_prompt (`fromOutput`) or in the
  /// validate_inputs of the node that links to the one that raised.
  func traceback(root: String, fromOutput: Bool, rules: ValidationRules) -> [String] {
    guard let site = frame(rules) else { return [] }
    let caller =
      rules == .comfyUI0_33
      ? (fromOutput ? Self.outerCall0_33 : Self.innerCall0_33)
      : (fromOutput ? Self.outerCall : Self.innerCall)
    let function = fromOutput ? "validate_prompt" : "validate_inputs"
    return [
      Self.format(root: root, function: function, frame: caller),
      Self.format(root: root, function: "validate_inputs", frame: site),
    ]
  }

  private static func format(root: String, function: String, frame: Frame) -> String {
    "  File \"\(root)/execution.py\", line \(frame.line), in \(function)\n    \(frame.source)\n    \(frame.carets)\n"
  }
}
