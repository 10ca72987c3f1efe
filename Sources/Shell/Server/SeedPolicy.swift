import Workflow

/// What happens to a number input at each `run`, as the UI's `control_after_generate` widget does.
public struct SeedPolicy: Sendable, Equatable {
  public enum Mode: String, Sendable, CaseIterable {
    case randomize, increment, decrement, fixed
  }

  public let node: String
  public let input: String
  public let mode: Mode

  /// `11.seed`, as `set` takes it.
  public var address: String { "\(NodeRef.id(node)).\(input)" }

  /// The frontend keeps random values within ±2^50 (JavaScript numbers lose integers above 2^53).
  static let randomLimit: Int128 = 1_125_899_906_842_624
  /// A seed's range in ComfyUI's catalog (0 … 2^64−1), used when the server does not say.
  static let defaultRange: ClosedRange<Int128> = 0...Int128(UInt64.max)

  /// The value after one step of the policy within `range` (wrapping like the UI), or nil when the
  /// input does not hold a whole number.
  func next(after value: JSONValue, in range: ClosedRange<Int128> = SeedPolicy.defaultRange) -> JSONValue? {
    switch mode {
    case .fixed:
      return value
    case .randomize:
      let low = max(range.lowerBound, -Self.randomLimit)
      let high = min(range.upperBound, Self.randomLimit)
      guard low <= high else { return nil }
      return .number(JSONNumber(uncheckedText: String(Int128.random(in: low...high))))
    case .increment, .decrement:
      guard let number = value.numberValue, number.isInteger, let current = Int128(number.text) else {
        return nil
      }
      var next = mode == .increment ? current + 1 : current - 1
      if next > range.upperBound { next = range.lowerBound }
      if next < range.lowerBound { next = range.upperBound }
      return .number(JSONNumber(uncheckedText: String(next)))
    }
  }
}

extension Session {
  /// The workflow as `run` would post it: every seed policy applied. Returns the changes made
  /// (address, old value, new value) and warnings for policies that no longer fit the workflow.
  func workflowWithSeedPolicies() async -> (
    Workflow, [(policy: SeedPolicy, old: JSONValue, new: JSONValue)], [String]
  ) {
    var workflow = self.workflow
    var changes: [(SeedPolicy, JSONValue, JSONValue)] = []
    var warnings: [String] = []
    for policy in server.seedPolicies where policy.mode != .fixed {
      guard var node = workflow[policy.node] else {
        warnings.append(
          "seed \(policy.address) \(policy.mode.rawValue): node \(policy.node) no longer exists; `seed \(policy.address) fixed` drops the policy"
        )
        continue
      }
      guard case .value(let old)? = node.input(policy.input) else {
        warnings.append(
          "seed \(policy.address) \(policy.mode.rawValue): the input is linked or missing, so it was left alone"
        )
        continue
      }
      let range = await server.range(of: policy.input, classType: node.classType)
      guard let new = policy.next(after: old, in: range) else {
        warnings.append(
          "seed \(policy.address) \(policy.mode.rawValue): \(Render.value(old)) is not a whole number, so it was left alone"
        )
        continue
      }
      node.setInput(policy.input, .value(new))
      workflow[policy.node] = node
      changes.append((policy, old, new))
    }
    return (workflow, changes, warnings)
  }
}
