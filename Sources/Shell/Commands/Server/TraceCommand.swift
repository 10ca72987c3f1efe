struct TraceCommand: Command {
  static let name = "trace"
  static let group = CommandGroup.teaching
  static let usage = "trace [on|off] [--full]"
  static let summary =
    "Show every HTTP request and answer and every WebSocket message as they happen, above the prompt: method, route, status, time, size, and the bodies cut to what teaches (a prompt by node, the catalog by its count, binary frames by type); --full shows whole bodies; keys masked; --json prints them as events. Trace lines are never recorded or checked."
  static let example = "trace on"
  static let arguments: [ArgumentKind] = [.word(["on", "off"])]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    let full = arguments.flag("--full")
    try arguments.expect(0...1)
    let word = arguments.isEmpty ? (full ? "on" : nil) : arguments[0].text
    switch word {
    case nil:
      session.console.result(
        session.isTracing ? "trace is on (`trace off` stops it)" : "trace is off (`trace on` starts it)",
        json: ["type": "trace_state", "on": .bool(session.isTracing)])
    case "on":
      session.startTrace(full: full)
      session.console.result(
        "trace on: requests (→), answers (←) and WebSocket messages (⇢ in, ⇠ out) appear as they happen"
          + (full ? ", with whole bodies" : "; `trace --full` shows whole bodies"),
        json: ["type": "trace_state", "on": true, "full": .bool(full)])
    case "off":
      session.stopTrace()
      session.console.result("trace off", json: ["type": "trace_state", "on": false])
    default:
      throw ShellError("trace takes on or off, not \(word ?? ""); usage: \(usage)")
    }
  }
}
