import ComfyClient
import Workflow

struct PoolCommand: Command {
  static let name = "pool"
  static let group = CommandGroup.server
  static let usage = "pool | pool NAME SERVER[=KEY]… | pool use NAME | pool off | pool rm NAME"
  static let summary =
    "Spread runs over several servers: `pool NAME SERVER…` saves a pool of saved server names or URLs (`SERVER=KEY` sends that member's prompts with key KEY, `SERVER=none` with none; the others carry the session's), `pool use NAME` sends each `run` to the member that will finish it first (a member lacking a class of the workflow is skipped; one that goes down has its unfinished prompts moved once to another), `pool off` goes back to the current server, `pool` lists pools and the members' state."
  static let example = "pool gpus work http://127.0.0.1:8190"
  static let arguments: [ArgumentKind] = [.word(["use", "off", "rm"]), .name("servers"), .name("servers")]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    if arguments.isEmpty { return try show(session) }
    let first = arguments[0].text
    switch first {
    case "use" where arguments[0].kind == .bare:
      try arguments.expect(2)
      try await use(arguments[1].text, session: session)
    case "off" where arguments[0].kind == .bare:
      try arguments.expect(1)
      let was = session.server.pool?.name
      await session.server.usePool(nil)
      session.console.result(
        was.map { "pool \($0) is no longer used; runs go to \(session.server.address)" }
          ?? "no pool was in use; runs go to \(session.server.address)",
        json: ["type": "pool_off", "server": .string(session.server.address.description)])
    case "rm" where arguments[0].kind == .bare:
      try arguments.expect(2)
      var pools = try SavedPools.load()
      let name = arguments[1].text
      guard pools.removeValue(forKey: name) != nil else { throw unknown(name, pools: pools) }
      try SavedPools.save(pools)
      if session.server.pool?.name == name { await session.server.usePool(nil) }
      session.console.result("removed pool \(name)", json: ["type": "pool_removed", "name": .string(name)])
    default:
      guard arguments.count >= 2 else {
        throw ShellError(
          "`pool \(first)` needs its members: `pool \(first) SERVER…` (saved server names or URLs); `pool use \(first)` uses a saved pool"
        )
      }
      try save(name: first, members: (1..<arguments.count).map { arguments[$0].text }, session: session)
    }
  }

  static func save(name: String, members: [String], session: Session) throws {
    guard name != "use" && name != "off" && name != "rm" else {
      throw ShellError("\(name) cannot name a pool: use letters, digits, - and _ (not use, off or rm)")
    }
    try SavedServers.checkName(name)
    let saved = try SavedServers.load()
    for spec in members {
      let (member, key) = MemberKey.split(spec)
      _ = try address(of: member, saved: saved, session: session)
      if case .named(let keyName) = key { try KeyRules.checkName(keyName) }
    }
    guard Set(members.map { MemberKey.split($0).server }).count == members.count else {
      throw ShellError("a pool names each member once: \(members.joined(separator: " "))")
    }
    var pools = try SavedPools.load()
    pools[name] = members
    try SavedPools.save(pools)
    session.console.result(
      "saved pool \(name) = \(members.joined(separator: " ")); `pool use \(name)` spreads runs over it",
      json: ["type": "pool_saved", "name": .string(name), "members": .array(members.map(JSONValue.string))])
  }

  /// A member as given: a saved server name, else a URL.
  static func address(of member: String, saved: JSONObject, session: Session) throws -> ServerAddress {
    if let url = saved[member]?.stringValue { return try session.parse { try ServerAddress(url) } }
    guard member.contains(":") || member.contains("/") || member.contains(".") || member == "localhost" else {
      throw ShellError(
        "no saved server is called \(member): `server add \(member) URL` first, or give the member's URL")
    }
    return try session.parse { try ServerAddress(member) }
  }

  static func use(_ name: String, session: Session) async throws {
    let pools = try SavedPools.load()
    guard let names = pools[name] else { throw unknown(name, pools: pools) }
    try await activate(name: name, members: names, session: session)
  }

  /// Makes the pool of `names` (saved server names or URLs), asks each member once whether it answers,
  /// and uses it for the following runs.
  static func activate(name: String, members names: [String], session: Session) async throws {
    let saved = try SavedServers.load()
    let server = session.server
    var members: [PoolMember] = []
    var keyWarnings: [String] = []
    for spec in names {
      let (member, key) = MemberKey.split(spec)
      let address = try address(of: member, saved: saved, session: session)
      let client = ComfyClient(server: address, tap: server.traffic)
      // A few seconds of grace for a dropped socket: after that its prompts go elsewhere.
      let connection = ComfyConnection(client: client, reconnectLimit: .seconds(5))
      if case .named(let keyName) = key {
        do {
          _ = try session.keyRing.resolve(keyName)
        } catch {
          throw ShellError("pool member \(member) carries key \(keyName): \(error.message)")
        }
      }
      let sent: String? =
        switch key {
        case .named(let keyName): keyName
        case .none: nil
        case .session: session.keyRing.nameInUse
        }
      if let sent, !session.keyRing.allowsInsecureTransport,
        let warning = KeyTransport.warning(serverURL: address.description, keyName: sent)
      {
        keyWarnings.append(warning)
      }
      members.append(PoolMember(name: member, address: address, connection: connection, key: key))
    }
    let pool = ServerPool(
      name: name, members: members, ownsConnections: true, server: server, console: session.console,
      inactivityTimeout: server.inactivityTimeout)
    pool.keyValue = { [weak session] keyName in
      guard let session else { throw ShellError("the session has ended") }
      do {
        return try session.keyRing.resolve(keyName).value
      } catch {
        throw ShellError("pool member key \(keyName): \(ShellError.from(error).message)")
      }
    }
    for warning in keyWarnings { session.console.warning(warning) }
    var unreachable: [String] = []
    for (index, member) in members.enumerated() {
      do {
        _ = try await member.connection.client.systemStats()
      } catch {
        unreachable.append(member.name)
        pool.markDown(index, reason: "not reachable when the pool was chosen (\(ServerPool.describe(error)))")
      }
    }
    await server.usePool(pool)
    // The current server's catalog checks each run (and gives the seed ranges): when it is not a member,
    // the first member that answers becomes the current server.
    if pool.member(at: server.address) == nil, let first = pool.members.first(where: { $0.isUp }) {
      let savedName = saved[first.name] != nil ? first.name : nil
      await server.select(first.address, name: savedName, origin: .command)
    }
    let up = members.count - unreachable.count
    var text = "using pool \(name): \(Render.plural(up, "member")) up"
    if !unreachable.isEmpty { text += " (\(unreachable.joined(separator: ", ")) not reachable)" }
    session.console.result(
      text,
      json: [
        "type": "pool", "name": .string(name), "members": .array(names.map(JSONValue.string)),
        "unreachable": .array(unreachable.map(JSONValue.string)),
      ])
    if up == 0 {
      session.console.warning(
        "no member of pool \(name) answers; runs fail until one does (`pool use \(name)` again)")
    }
  }

  static func show(_ session: Session) throws {
    let pools = try SavedPools.load()
    var lines: [String] = []
    if let pool = session.server.pool {
      lines.append("pool \(pool.name) in use:")
      lines += Render.table(
        pool.members.map { member in
          [
            member.name, member.address.description, member.isUp ? "up" : "down",
            "\(member.inFlight.count) in flight", "\(member.succeeded) done",
            member.secondsPerPrompt.map { ServerFormat.seconds($0) + "/prompt" } ?? "",
            member.key == .session ? "" : member.key.words,
          ]
        })
      for member in pool.members where !member.isUp {
        lines.append("  \(member.name): \(member.downReason ?? "down")")
      }
    } else {
      lines.append("no pool in use: runs go to \(session.server.address)")
    }
    if !pools.isEmpty {
      lines.append("saved:")
      lines += Render.table(pools.keys.sorted().map { [$0, (pools[$0] ?? []).joined(separator: " ")] })
    }
    var members: JSONValue = .null
    if let pool = session.server.pool {
      members = .array(
        pool.members.map {
          [
            "name": .string($0.name), "url": .string($0.address.description), "up": .bool($0.isUp),
            "in_flight": .int($0.inFlight.count), "succeeded": .int($0.succeeded),
            "seconds_per_prompt": $0.secondsPerPrompt.map(JSONValue.double) ?? .null,
            "key": $0.key.json,
          ]
        })
    }
    session.console.result(
      lines: lines,
      json: [
        "type": "pools", "in_use": session.server.pool.map { .string($0.name) } ?? .null, "members": members,
        "saved": .object(
          JSONObject(uniqueKeysWithValues: pools.map { ($0.key, .array($0.value.map(JSONValue.string))) })),
      ])
  }

  static func unknown(_ name: String, pools: [String: [String]]) -> ShellError {
    var message = "no saved pool is called \(name)"
    if let close = Suggest.closest(name, in: Array(pools.keys)) { message += " (did you mean \(close)?)" }
    message +=
      pools.isEmpty
      ? "; save one with `pool NAME SERVER…`" : "; saved: \(pools.keys.sorted().joined(separator: ", "))"
    return ShellError(message)
  }
}
