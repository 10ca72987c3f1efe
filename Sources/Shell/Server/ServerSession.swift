import ComfyClient
import ComfyRules
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// A prompt this session ran: what was sent, where, and (once known) how it ended.
public struct PromptRecord: Sendable {
  public let id: String
  public let number: JSONNumber?
  public let server: ServerAddress
  /// The prompt as posted (titles and classes for `watch` and `outputs`).
  public let workflow: Workflow
  /// The tracker's final state, kept when the prompt ends (the connection may be gone by then).
  public var final: PromptTracker?
  /// A `watch` printed how it ended (the listener may hear of the end after the watch stopped).
  public var endShown = false
}

/// The server side of a session: which server, the one live connection to it, the prompts run,
/// and the seed policies. Commands reach it as `session.server`.
@MainActor
public final class ServerSession {
  /// Where the current server choice came from, for `server` to say.
  public enum Origin: String, Sendable {
    case builtIn = "default"
    case environment = "$COMFYSH_SERVER"
    case option = "--server"
    case simulator = "--sim"
    case command = "server command"
  }

  public static let defaultURL = "http://127.0.0.1:8188"

  private let console: Console
  /// The catalog is read again from a server chosen instead of the current one.
  private let catalog: SessionCatalog
  /// The `client_id` of every POST and the socket's `clientId`; one per session.
  public let clientID = makeClientID()
  public private(set) var address: ServerAddress
  /// The saved name the server was chosen by, if any.
  public private(set) var name: String?
  public private(set) var origin: Origin = .builtIn
  /// What `server` learned from /system_stats (version, simulator or not).
  public private(set) var stats: SystemStats?

  /// How long `watch` waits without any message before it gives up (`watch --timeout` overrides).
  public var inactivityTimeout: Duration = .seconds(120)
  /// Redraw a progress line while watching (a terminal on stdout, not `--json`).
  public var liveProgress = false
  /// Print a notice when a prompt ends and no `watch` shows it; on for people at a terminal.
  public var finishNotices: Bool

  /// The pool `run` spreads prompts over (`pool use NAME`); nil for the current server alone.
  var pool: ServerPool?
  /// The current server as a one-member pool, for `run --count` without a pool.
  private var singlePool: ServerPool?

  private var clientStore: ComfyClient?
  private var connectionStore: ComfyConnection?
  private var listener: Task<Void, Never>?
  /// Prompts run in this session, oldest first.
  public private(set) var records: [PromptRecord] = []
  public private(set) var lastPromptID: String?
  /// The last prompt posted per server (its compact JSON), to notice a run the cache will answer.
  private var lastPosted: [ServerAddress: String] = [:]
  /// Prompts a `watch` is showing now: they get no finish notice.
  private var watched: [String: Int] = [:]
  /// `watch --background` tasks by prompt id; they end with their prompt or the connection.
  private var backgroundWatches: [String: Task<Void, Never>] = [:]
  /// `seed NODE.INPUT MODE` policies, in the order they were given.
  public internal(set) var seedPolicies: [SeedPolicy] = []
  /// Input values of files uploaded in this session (`cat.png`, `sub/cat.png`), known to exist.
  public internal(set) var uploadedNames: Set<String> = []
  /// Number ranges of inputs (min … max from /object_info), per server, class and input.
  private var ranges: [String: ClosedRange<Int128>] = [:]
  private var replacementsByServer: [ServerAddress: NodeReplacements] = [:]
  /// Every client of this session reports its traffic here (`trace`).
  public let traffic = TrafficTap()

  init(console: Console, catalog: SessionCatalog, finishNotices: Bool) {
    self.console = console
    self.catalog = catalog
    self.finishNotices = finishNotices
    address = .comfyDefault
    if let text = ShellPaths.environment("COMFYSH_SERVER"), let chosen = try? ServerAddress(text) {
      address = chosen
      origin = .environment
    }
  }

  /// `http://127.0.0.1:8188 (ComfyUI 0.3.64)`: the interactive banner's server part.
  public var bannerDescription: String {
    var text = address.description
    if let name { text += " \(name)" }
    if let stats { text += " (" + ServerCommand.describe(stats) + ")" }
    return text
  }

  /// The server's /object_info as a catalog, cached on disk per server and ComfyUI version (a stock
  /// server's is half a megabyte) as a `CatalogFile`, so a later process parses only the classes it
  /// uses; `refresh` reads it again. A simulator is cached only when it names the digest of the
  /// catalog it serves, which changes with its `--catalog`.
  func fetchCatalog(refresh: Bool) async throws -> (Catalog, source: String) {
    let stats = try await probe()
    let version = stats.comfyUIVersion ?? "unknown"
    let simulator = ServerCommand.isSimulator(stats)
    let digest = simulator ? stats.json["system"]?["catalog_digest"]?.stringValue : nil
    let cacheable = !simulator || digest != nil
    let path = CatalogCache.serverPath(address: address, version: version, simulatorDigest: digest)
    let facts: JSONObject =
      digest.map { ["simulator_catalog": .string($0), "comfyui_version": .string(version)] }
      ?? ["server": .string(address.description), "comfyui_version": .string(version)]
    if !refresh && cacheable, let cached = CatalogCache.open(path, facts: facts, comfyUIVersion: version) {
      return (cached, "server \(address) (cached)")
    }
    let info = try await client.objectInfo()
    let catalog: Catalog
    do {
      catalog = try Catalog(objectInfo: info, comfyUIVersion: version)
    } catch {
      throw ShellError("\(address)/object_info is not a node catalog: \(error.message)")
    }
    if cacheable { CatalogCache.store(catalog, facts: facts, at: path) }
    return (catalog, "server \(address)")
  }

  /// Applies the command line: `--sim` wins, then `--server`, then `$COMFYSH_SERVER` (read at start).
  public func configure(server: String?, simulatorURL: String?) throws {
    if let text = ShellPaths.environment("COMFYSH_SERVER"), (try? ServerAddress(text)) == nil {
      console.warning(
        "$COMFYSH_SERVER is not a server URL (\(text)); using \(address). Set it like http://127.0.0.1:8188")
    }
    if let simulatorURL {
      address = try ServerAddress(simulatorURL)
      origin = .simulator
    } else if let server {
      if let saved = try? SavedServers.load(), let url = saved[server]?.stringValue {
        address = try ServerAddress(url)
        name = server
      } else {
        address = try ServerAddress(server)
      }
      origin = .option
    }
  }

  /// True when the command line or the environment chose the server: the init script's `server` then
  /// does not override it (the order in Docs/guide.md, Starting).
  var isPinned: Bool { origin == .option || origin == .environment || origin == .simulator }

  /// The HTTP client for the current server.
  public var client: ComfyClient {
    if let clientStore { return clientStore }
    let made = ComfyClient(server: address, tap: traffic)
    clientStore = made
    return made
  }

  /// The session's one connection to the current server, made on first use; its socket opens before
  /// the first POST and every POST carries its client id.
  public func connection() -> ComfyConnection {
    if let connectionStore { return connectionStore }
    let made = ComfyConnection(client: client, clientID: clientID)
    connectionStore = made
    startListening(to: made)
    return made
  }

  /// The connection if one was made (nil before the first `run`).
  public var existingConnection: ComfyConnection? { connectionStore }

  /// Switches to another server: the old connection is closed (its prompts keep running there).
  public func select(_ new: ServerAddress, name: String?, origin: Origin) async {
    if new != address {
      await closeConnection()
      // Another server may have other nodes: read its catalog when next needed.
      if catalog.path == nil { catalog.reset() }
    }
    address = new
    self.name = name
    self.origin = origin
    stats = nil
    clientStore = nil
  }

  /// Asks /system_stats (and remembers the answer for the banner and `server`).
  @discardableResult
  /// The server's node replacements, read once per server: only servers whose `/features` says
  /// `node_replacements` have the route; none when it cannot be read (validation then leaves classes be).
  func nodeReplacements() async -> NodeReplacements {
    if let known = replacementsByServer[address] { return known }
    var table = NodeReplacements()
    if let features = try? await client.features(), features["node_replacements"]?.boolValue == true,
      let json = try? await client.nodeReplacements()
    {
      table = NodeReplacements(json: json)
    }
    replacementsByServer[address] = table
    return table
  }

  /// Whether the server has the jobs API (ComfyUI 0.33 and later); its connection asks once.
  func hasJobsAPI() async throws -> Bool { try await connection().hasJobsAPI() }

  /// Whether this session queued the prompt.
  func isOurs(_ promptID: String) -> Bool { records.contains { $0.id == promptID } }

  public func probe() async throws -> SystemStats {
    let answer = try await client.systemStats()
    stats = answer
    return answer
  }

  /// Closes the connection cleanly (a normal WebSocket close); called when the session ends.
  public func shutdown() async {
    await usePool(nil)
    await closeConnection()
  }

  /// The pool a sweep goes to: the one in use, else the current server's own.
  func sweepPool() -> ServerPool {
    if let pool { return pool }
    if let singlePool { return singlePool }
    let member = PoolMember(name: name ?? address.description, address: address, connection: connection())
    let made = ServerPool(
      name: "", members: [member], ownsConnections: false, server: self, console: console,
      inactivityTimeout: inactivityTimeout)
    singlePool = made
    return made
  }

  /// The member a pool posted `promptID` to (nil for a prompt of the current server alone).
  func member(of promptID: String) -> PoolMember? {
    guard let address = promptRecord(promptID)?.server else { return nil }
    return (poolOf(promptID) ?? pool)?.member(at: address)
  }

  /// ` on gpu2` for a prompt a pool ran (its member), nothing otherwise: for the lines that name it.
  func onMember(_ promptID: String) -> String {
    guard let pool, pool.job(promptID: promptID) != nil, let member = member(of: promptID) else { return "" }
    return " on \(member.name)"
  }

  /// The client for a prompt of this session: its member's when a pool ran it, else the current server's.
  func client(for promptID: String) -> ComfyClient { member(of: promptID)?.connection.client ?? client }

  /// The connection that tracks `promptID` (its member's), if one was made.
  func trackingConnection(for promptID: String) -> ComfyConnection? {
    member(of: promptID)?.connection ?? connectionStore
  }

  /// The pool that posted `promptID`, if one did.
  func poolOf(_ promptID: String) -> ServerPool? {
    if let pool, pool.job(promptID: promptID) != nil { return pool }
    if let singlePool, singlePool.job(promptID: promptID) != nil { return singlePool }
    return nil
  }

  /// Uses `new` for the following runs (nil: the current server alone); the old pool's own
  /// connections close (its prompts keep running on their servers).
  func usePool(_ new: ServerPool?) async {
    await pool?.close()
    pool = new
  }

  private func closeConnection() async {
    await singlePool?.close()
    singlePool = nil
    listener?.cancel()
    listener = nil
    for watch in backgroundWatches.values { watch.cancel() }
    backgroundWatches = [:]
    if let connection = connectionStore {
      connectionStore = nil
      await connection.close()
    }
  }

  // MARK: - Prompts

  func record(_ queued: QueuedPrompt, workflow: Workflow) {
    record(queued, workflow: workflow, on: address)
  }

  /// Records a prompt posted to `server` (a pool member, or the current server).
  func record(_ queued: QueuedPrompt, workflow: Workflow, on server: ServerAddress) {
    records.append(
      PromptRecord(id: queued.promptID, number: queued.number, server: server, workflow: workflow))
    if records.count > 1000 { records.removeFirst(records.count - 1000) }
    lastPromptID = queued.promptID
    lastPosted[server] = workflow.json.serialized()
  }

  /// True when `workflow` is exactly what was last posted to this server (ComfyUI will answer it from
  /// its cache and make nothing new).
  func isSameAsLastRun(_ workflow: Workflow) -> Bool {
    lastPosted[address] == workflow.json.serialized()
  }

  public func promptRecord(_ id: String) -> PromptRecord? { records.last { $0.id == id } }

  /// A prompt id as typed: a full id, or a unique start of one run in this session (`6c1f`).
  func resolvePromptID(_ text: String) throws -> String {
    if records.contains(where: { $0.id == text }) { return text }
    let matches = Set(records.map(\.id).filter { $0.hasPrefix(text) })
    if matches.count == 1, let only = matches.first { return only }
    if matches.count > 1 {
      throw ShellError(
        "\(text) matches \(matches.count) prompts of this session (\(matches.sorted().prefix(3).joined(separator: ", "))…); type more of it"
      )
    }
    return text
  }

  /// The prompt a command means: the given id, else the last one run.
  func promptID(_ argument: Argument?, command: String) throws -> String {
    if let argument { return try resolvePromptID(argument.text) }
    guard let lastPromptID else {
      throw ShellError(
        "no prompt was run in this session: `run` first, or give a prompt id (`queue` and `history` list them)"
      )
    }
    return lastPromptID
  }

  func beginWatching(_ id: String) { watched[id, default: 0] += 1 }

  /// Runs `follow` for `watch --background`: the prompt counts as watched (no finish notice) until it ends.
  func watchInBackground(_ id: String, follow: @escaping @MainActor () async -> Void) {
    beginWatching(id)
    backgroundWatches[id] = Task { [weak self] in
      await follow()
      self?.endWatching(id)
      self?.backgroundWatches.removeValue(forKey: id)
    }
  }

  func isWatchingInBackground(_ id: String) -> Bool { backgroundWatches[id] != nil }

  /// A watch printed how `id` ended: no finish notice for it.
  func endWasShown(_ id: String) {
    guard let index = records.lastIndex(where: { $0.id == id }) else { return }
    records[index].endShown = true
  }

  func endWatching(_ id: String) {
    watched[id, default: 1] -= 1
    if watched[id] == 0 { watched.removeValue(forKey: id) }
  }

  /// Keeps the final state of a prompt that ended.
  func keepFinal(_ tracker: PromptTracker) {
    guard let index = records.lastIndex(where: { $0.id == tracker.promptID }) else { return }
    records[index].final = tracker
  }

  /// What is known about a prompt of this session: its final state, else the live tracker.
  func tracker(_ id: String) async -> PromptTracker? {
    if let final = promptRecord(id)?.final { return final }
    return await trackingConnection(for: id)?.tracker(id)
  }

  /// The range an INT input allows, from the server's /object_info for its class (asked once per
  /// class); a seed's full range when the server cannot say.
  func range(of input: String, classType: String?) async -> ClosedRange<Int128> {
    guard let classType else { return SeedPolicy.defaultRange }
    let key = "\(address) \(classType) \(input)"
    if let known = ranges[key] { return known }
    var range = SeedPolicy.defaultRange
    if let info = try? await client.objectInfo(classType: classType) {
      let spec =
        info[classType]?["input"]?["required"]?[input] ?? info[classType]?["input"]?["optional"]?[input]
      let options = spec?.arrayValue.flatMap { $0.count > 1 ? $0[1] : nil }
      let low = options?["min"]?.numberValue.flatMap { Int128($0.text) } ?? range.lowerBound
      let high = options?["max"]?.numberValue.flatMap { Int128($0.text) } ?? range.upperBound
      if low <= high { range = low...high }
      ranges[key] = range
    }
    return range
  }

  // MARK: - Background listener

  /// Follows the connection's events while no `watch` does: keeps final states, and tells a person at
  /// the terminal when a prompt ends (scripts and `--json` sessions ask with `watch`/`outputs`).
  private func startListening(to connection: ComfyConnection) {
    listener = Task { [weak self] in
      let events = await connection.events()
      for await event in events {
        guard let self else { return }
        self.handle(event)
      }
    }
  }

  private func handle(_ event: ConnectionEvent) {
    switch event {
    case .prompt(let id, .finished(let outcome), let tracker):
      keepFinal(tracker)
      guard watched[id] == nil, finishNotices, let record = promptRecord(id), !record.endShown else { return }
      notice(id: id, outcome: outcome, tracker: tracker)
    case .connectionLost(let reason):
      guard finishNotices, watched.isEmpty else { return }
      console.notice("lost the connection to \(address) (\(reason))")
    default:
      break
    }
  }

  private func notice(id: String, outcome: PromptOutcome, tracker: PromptTracker) {
    let files = tracker.outputs.count
    if console.jsonMode {
      console.emit([
        "type": "notice", "event": "finished", "prompt_id": .string(id), "status": .string(outcome.word),
        "seconds": tracker.totalSeconds.map(JSONValue.double) ?? .null, "outputs": .int(files),
      ])
      return
    }
    var line = "prompt \(id) "
    switch outcome {
    case .success: line += "finished"
    case .failed(let failure): line += "failed in node \(failure.nodeID) (\(failure.nodeType))"
    case .interrupted: line += "was interrupted"
    case .cancelled: line += "was cancelled"
    case .ended: line += "ended"
    }
    if let seconds = tracker.totalSeconds { line += " in " + ServerFormat.seconds(seconds) }
    if files > 0 { line += " · " + Render.plural(files, "output") + ": `outputs`" }
    if case .failed = outcome { line += " · `watch \(id)` shows the error" }
    console.notice(line)
  }
}
