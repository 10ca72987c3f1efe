import ComfyClient
import Workflow

struct ServerCommand: Command {
  static let name = "server"
  static let group = CommandGroup.server
  static let usage = "server [URL|NAME] | server add NAME URL | server rm NAME"
  static let summary =
    "Show the ComfyUI server (version, where the choice came from, saved names), switch to another by URL or saved name, or save one under a name."
  static let example = "server add work http://10.0.0.5:8188"
  static let arguments: [ArgumentKind] = [.word(["add", "rm"], names: "servers"), .name("servers"), .text]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(0...3)
    if arguments.isEmpty { return try await show(session) }
    switch arguments[0].text {
    case "add" where arguments[0].kind == .bare:
      try arguments.expect(3)
      try add(name: arguments[1].text, url: arguments[2].text, session: session)
    case "rm" where arguments[0].kind == .bare:
      try arguments.expect(2)
      try remove(name: arguments[1].text, session: session)
    default:
      try arguments.expect(1)
      try await select(arguments[0].text, session: session)
    }
  }

  static func show(_ session: Session) async throws {
    let server = session.server
    var line = "server \(server.address)"
    if let name = server.name { line += " (\(name))" }
    var object: JSONObject = [
      "type": "server", "url": .string(server.address.description),
      "name": server.name.map(JSONValue.string) ?? .null,
      "source": .string(server.origin.rawValue),
    ]
    do {
      let stats = try await server.probe()
      line += " · " + describe(stats)
      object["reachable"] = true
      object["comfyui_version"] = stats.comfyUIVersion.map(JSONValue.string) ?? .null
      object["simulator"] = .bool(isSimulator(stats))
    } catch {
      line += " · " + unreachableWords(error)
      object["reachable"] = false
      object["reason"] = .string(ShellError.server(error, session: session).message)
    }
    line += " · from \(server.origin.rawValue)"
    if let connection = server.existingConnection {
      let connected = await connection.isConnected
      line += connected ? " · connected" : ""
      object["connected"] = .bool(connected)
    }
    var lines = [line]
    if object["reachable"] == false, let reason = object["reason"]?.stringValue {
      lines.append("  " + reason)
    }
    let saved = (try? SavedServers.load()) ?? [:]
    if !saved.isEmpty {
      lines.append("saved:")
      lines += Render.table(saved.map { [$0.key, $0.value.stringValue ?? "?"] })
    }
    object["saved"] = .object(saved)
    session.console.result(lines: lines, json: object)
  }

  static func select(_ text: String, session: Session) async throws {
    let server = session.server
    let saved = try SavedServers.load()
    let name: String?
    let address: ServerAddress
    if let url = saved[text]?.stringValue {
      name = text
      address = try session.parse { try ServerAddress(url) }
    } else if !text.contains(":") && !text.contains("/") && !text.contains(".") && text != "localhost" {
      var message = "no saved server is called \(text)"
      if let close = Suggest.closest(text, in: Array(saved.keys)) { message += " (did you mean \(close)?)" }
      message +=
        saved.isEmpty
        ? "; save one with `server add NAME URL`" : "; saved: \(saved.keys.joined(separator: ", "))"
      throw ShellError(message)
    } else {
      name = nil
      address = try session.parse { try ServerAddress(text) }
    }
    // The init script's choice gives way to --server, --sim and $COMFYSH_SERVER (Docs/guide.md, Starting).
    if let source = session.interpreter?.sourceName, source == ShellPaths.configFolder + "/init.comfy",
      server.isPinned
    {
      return
    }
    await server.select(address, name: name, origin: .command)
    var object: JSONObject = [
      "type": "server", "url": .string(address.description), "name": name.map(JSONValue.string) ?? .null,
      "source": .string(ServerSession.Origin.command.rawValue),
    ]
    do {
      let stats = try await server.probe()
      object["reachable"] = true
      object["comfyui_version"] = stats.comfyUIVersion.map(JSONValue.string) ?? .null
      session.console.result("server \(address) · \(describe(stats))", json: object)
    } catch {
      object["reachable"] = false
      session.console.result("server \(address)", json: object)
      session.console.warning(
        ShellError.server(error, session: session).message
          + "; commands that need the server fail until it answers")
    }
  }

  static func add(name: String, url: String, session: Session) throws {
    try SavedServers.checkName(name)
    let address = try session.parse { try ServerAddress(url) }
    var saved = try SavedServers.load()
    let replaced = saved[name]?.stringValue
    saved[name] = .string(address.description)
    try SavedServers.save(saved)
    var text = "saved server \(name) = \(address)"
    if let replaced, replaced != address.description { text += " (was \(replaced))" }
    session.console.result(
      text + "; `server \(name)` switches to it",
      json: ["type": "server_saved", "name": .string(name), "url": .string(address.description)])
  }

  static func remove(name: String, session: Session) throws {
    var saved = try SavedServers.load()
    guard saved.removeValue(forKey: name) != nil else {
      throw ShellError(
        "no saved server is called \(name)"
          + (saved.isEmpty ? "" : "; saved: \(saved.keys.joined(separator: ", "))"))
    }
    try SavedServers.save(saved)
    session.console.result("removed server \(name)", json: ["type": "server_removed", "name": .string(name)])
  }

  /// What `server` says when /system_stats failed: a server that answered with an error or with
  /// something else is there, just not well; only a failed connection is "not reachable".
  static func unreachableWords(_ error: any Error) -> String {
    guard let error = error as? ComfyClientError else { return "not reachable" }
    switch error {
    case .httpStatus(_, _, let status, let reason, _): return "answers, but with \(status) \(reason)"
    case .badResponse: return "answers, but not as ComfyUI does"
    case .timeout: return "not answering in time"
    case .connectionReset, .connectionClosed, .answerCutShort: return "connected, then the connection failed"
    default: return "not reachable"
    }
  }

  /// `ComfyUI 0.3.64`, `ComfyUI 0.3.64 simulator`.
  static func describe(_ stats: SystemStats) -> String {
    "ComfyUI \(stats.comfyUIVersion ?? "(version unknown)")" + (isSimulator(stats) ? " simulator" : "")
  }

  static func isSimulator(_ stats: SystemStats) -> Bool {
    // The simulator says so in /system_stats (`system.simulator`); ComfyUI has no such member.
    stats.json["system"]?["simulator"].map { $0 != .null && $0 != false } ?? false
  }
}
