import Workflow

struct SeedCommand: Command {
  static let name = "seed"
  static let group = CommandGroup.running
  static let usage = "seed [NODE.INPUT randomize|increment|decrement|fixed]"
  static let summary =
    "Change a seed at each `run` before it is posted (randomize, increment, decrement), as the UI's control_after_generate does; fixed stops it; no arguments lists the policies."
  static let example = "seed 3.seed randomize"
  static let arguments: [ArgumentKind] = [.input, .word(SeedPolicy.Mode.allCases.map(\.rawValue))]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect([0, 2].contains(arguments.count) ? arguments.count...arguments.count : 2...2)
    let server = session.server
    if arguments.isEmpty {
      let policies = server.seedPolicies
      let rows = policies.map { policy -> [String] in
        let value = session.workflow[policy.node]?.input(policy.input).map(Render.input) ?? "(missing)"
        return [policy.address, policy.mode.rawValue, "now \(value)"]
      }
      session.console.result(
        lines: rows.isEmpty
          ? ["no seed policies: every run sends the inputs as they are (`seed NODE.INPUT randomize`)"]
          : Render.table(rows),
        json: [
          "type": "seeds",
          "policies": .array(
            policies.map {
              ["node": .string($0.node), "input": .string($0.input), "mode": .string($0.mode.rawValue)]
            }),
        ])
      return
    }
    let address = try Address.parseInput(arguments[0].raw)
    let id = try session.workflow.resolve(address.node)
    guard let mode = SeedPolicy.Mode(rawValue: arguments[1].text) else {
      var message = "\(arguments[1].text) is not a seed policy; use randomize, increment, decrement or fixed"
      if let close = Suggest.closest(arguments[1].text, in: SeedPolicy.Mode.allCases.map(\.rawValue)) {
        message = "\(arguments[1].text) is not a seed policy (did you mean \(close)?)"
      }
      throw ShellError(message)
    }
    guard let node = session.workflow[id] else { return }
    switch node.input(address.name) {
    case nil:
      throw ShellError(session.checks.missingInputMessage(address.name, nodeID: id))
    case .link?:
      throw ShellError(
        "\(NodeRef.id(id)).\(address.name) is linked to another node; a seed policy needs a number there")
    case .value(let value)? where value.numberValue?.isInteger != true:
      throw ShellError(
        "\(NodeRef.id(id)).\(address.name) is \(Render.value(value)), not a whole number; a seed policy needs one"
      )
    default:
      break
    }
    let policy = SeedPolicy(node: id, input: address.name, mode: mode)
    server.seedPolicies.removeAll { $0.node == id && $0.input == address.name }
    if mode != .fixed { server.seedPolicies.append(policy) }
    let text: String =
      switch mode {
      case .fixed: "\(policy.address) stays as it is at each run"
      case .randomize: "\(policy.address) gets a new random value at each run"
      case .increment: "\(policy.address) goes up by 1 at each run"
      case .decrement: "\(policy.address) goes down by 1 at each run"
      }
    session.console.result(
      text,
      json: [
        "type": "seed", "node": .string(id), "input": .string(address.name), "mode": .string(mode.rawValue),
      ])
  }
}
