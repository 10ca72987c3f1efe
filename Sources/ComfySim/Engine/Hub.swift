import ComfyRules
import Synchronization
import Workflow

/// A frame queued for one WebSocket.
enum OutboundFrame: Sendable {
  case text(String)
  case binary([UInt8])
}

/// One open `/ws` connection: frames are queued here and written in order by the connection's task.
final class SocketConnection: Sendable {
  let serial: UInt64
  let outbox: AsyncStream<OutboundFrame>.Continuation

  init(serial: UInt64, outbox: AsyncStream<OutboundFrame>.Continuation) {
    self.serial = serial
    self.outbox = outbox
  }
}

/// The WebSocket side of the server, kept the way ComfyUI's `PromptServer` keeps it: sockets and
/// their feature flags are keyed by client id, not by connection. A reconnect with the same id
/// replaces the older socket without closing it, and closing any socket with that id removes
/// whatever is registered under it (the recorded `reconnect-replaced-old-closed` behaviour).
final class Hub: Sendable {
  private struct State {
    var sockets: [String: SocketConnection] = [:]
    /// Registration order, so broadcasts reach sockets in a stable order.
    var order: [String] = []
    var featureFlags: [String: JSONObject] = [:]
    /// `PromptServer.client_id`: the client of the prompt being run (nil: none given).
    var clientID: String?
    /// `PromptServer.last_node_id`: the node last announced with `executing`.
    var lastNodeID: String?
    /// Every open connection, registered or replaced, so a stop can close them all.
    var live: [UInt64: SocketConnection] = [:]
  }

  private let state = Mutex(State())
  private let serials = Atomic<UInt64>(0)

  /// `feature_flags.get_server_features()`.
  /// `GET /features`, and the socket's `feature_flags` reply.
  let serverFeatures: JSONValue

  init(features: JSONValue) {
    serverFeatures = features
  }

  func makeConnection(outbox: AsyncStream<OutboundFrame>.Continuation) -> SocketConnection {
    let connection = SocketConnection(serial: serials.add(1, ordering: .relaxed).newValue, outbox: outbox)
    state.withLock { $0.live[connection.serial] = connection }
    return connection
  }

  /// Forgets a connection whose socket has closed.
  func closed(_ connection: SocketConnection) {
    _ = state.withLock { $0.live.removeValue(forKey: connection.serial) }
  }

  /// Registers a socket and queues its greeting: `status` with `sid`, then `executing {node}` when
  /// its client's prompt is running.
  func connect(sid: String, connection: SocketConnection, queueRemaining: Int) {
    state.withLock { state in
      if state.sockets.removeValue(forKey: sid) != nil { state.order.removeAll { $0 == sid } }
      state.sockets[sid] = connection
      state.order.append(sid)
      state.featureFlags[sid] = [:]
      connection.outbox.yield(
        .text(
          Hub.message(
            "status",
            ["status": ["exec_info": ["queue_remaining": .int(queueRemaining)]], "sid": .string(sid)])))
      if state.clientID == sid, let node = state.lastNodeID {
        connection.outbox.yield(.text(Hub.message("executing", ["node": .string(node)])))
      }
    }
  }

  /// The `finally` of ComfyUI's `websocket_handler`: pops by client id, whichever socket is there.
  func disconnect(sid: String) {
    state.withLock { state in
      if state.sockets.removeValue(forKey: sid) != nil { state.order.removeAll { $0 == sid } }
      state.featureFlags.removeValue(forKey: sid)
    }
  }

  /// A text message from a client; only a first message of type `feature_flags` means anything.
  func received(text: String, sid: String, isFirstMessage: Bool) {
    guard isFirstMessage, case .object(let message)? = try? JSONValue.parse(text),
      message["type"]?.stringValue == "feature_flags"
    else { return }
    let flags = message["data"]?.objectValue ?? [:]
    state.withLock { state in
      if state.featureFlags[sid] != nil { state.featureFlags[sid] = flags }
    }
    send("feature_flags", serverFeatures, to: sid)
  }

  // MARK: - Sending

  static func message(_ type: String, _ data: JSONValue) -> String {
    var out = "{\"type\": "
    Py.appendJSONString(type, to: &out)
    out += ", \"data\": "
    Py.appendJSON(data, to: &out)
    out += "}"
    return out
  }

  /// Sends to the socket registered for `sid`, or to every socket when `sid` is nil.
  func send(_ type: String, _ data: JSONValue, to sid: String?) {
    deliver(.text(Hub.message(type, data)), to: sid)
  }

  func deliver(_ frame: OutboundFrame, to sid: String?) {
    state.withLock { state in
      if let sid {
        state.sockets[sid]?.outbox.yield(frame)
      } else {
        for id in state.order { state.sockets[id]?.outbox.yield(frame) }
      }
    }
  }

  /// `status` to everyone, as `PromptServer.queue_updated` does.
  func broadcastStatus(queueRemaining: Int) {
    send("status", ["status": ["exec_info": ["queue_remaining": .int(queueRemaining)]]], to: nil)
  }

  func supportsPreviewMetadata(_ sid: String?) -> Bool {
    guard let sid else { return false }
    return state.withLock { $0.featureFlags[sid]?["supports_preview_metadata"]?.boolValue ?? false }
  }

  func setClient(_ clientID: String?) {
    state.withLock { $0.clientID = clientID }
  }

  func setLastNode(_ node: String?) {
    state.withLock { $0.lastNodeID = node }
  }

  var connectedClientIDs: [String] { state.withLock { $0.order } }

  /// Ends every connection's outbox, so their tasks finish and the sockets close (server stop).
  func closeAll() {
    state.withLock { state in
      for connection in state.live.values { connection.outbox.finish() }
    }
  }
}
