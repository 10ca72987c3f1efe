/// Failures a test can switch on to see how a client copes. Route keys are paths without the
/// `/api` prefix (`"/prompt"`, `"/history"`, `"/view"`, `"/ws"`); a path with a parameter is
/// matched by its start (`"/history"` also covers `/history/{id}`).
public struct SimulatorFaults: Sendable, Equatable {
  /// Extra time before a route answers.
  public var routeDelays: [String: Duration]
  /// Routes whose next request gets `500` (text/plain, as aiohttp's error page); each entry is
  /// used up by the request it fails.
  public var failOnce: Set<String>
  /// Each WebSocket opened while this is set is cut (TCP closed, no close frame) after the server
  /// has sent it this many messages; 0 cuts it right after the upgrade.
  public var dropWebSocketAfter: Int?
  /// New TCP connections are closed as soon as they are accepted (a server that went away);
  /// connections already open keep working.
  public var refuseConnections: Bool
  /// Extra time a node takes, by class type (`"KSampler"`) or node id (`"3"`); interruptible.
  public var nodeDelays: [String: Duration]
  /// Nodes, by class type or node id, that wait before running until they are taken out of this set
  /// (`setFaults`); interruptible. Lets a test act while a prompt is certainly still running.
  public var heldNodes: Set<String>
  /// Time between a WebSocket's upgrade and its registration under the client id (ComfyUI registers
  /// right after the upgrade; a busy server later). Messages for the client id meanwhile are dropped.
  public var registrationDelay: Duration?

  public init(
    routeDelays: [String: Duration] = [:], failOnce: Set<String> = [], dropWebSocketAfter: Int? = nil,
    refuseConnections: Bool = false, nodeDelays: [String: Duration] = [:], heldNodes: Set<String> = [],
    registrationDelay: Duration? = nil
  ) {
    self.heldNodes = heldNodes
    self.routeDelays = routeDelays
    self.failOnce = failOnce
    self.dropWebSocketAfter = dropWebSocketAfter
    self.refuseConnections = refuseConnections
    self.nodeDelays = nodeDelays
    self.registrationDelay = registrationDelay
  }

  /// The key of `path` in a fault table, if any (exact, else the longest key `path` starts with).
  func key<Value>(for path: String, in table: [String: Value]) -> String? {
    if table[path] != nil { return path }
    return table.keys.filter { path.hasPrefix($0 + "/") }.max { $0.count < $1.count }
  }
}
