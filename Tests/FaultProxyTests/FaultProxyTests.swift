import ComfySim
import FaultProxy
import Testing

@testable import Workflow

/// The proxy itself, against the simulator: each fault does what it says to the bytes a client sees.
@Suite struct FaultProxyTests {
  /// Runs `body` with a fresh simulator and a proxy in front of it.
  func withProxy(_ rules: [FaultProxy.Rule], _ body: (FaultProxy) async throws -> Void) async throws {
    let simulator = try ComfySimulator(SimulatorConfiguration())
    try await simulator.start()
    let proxy = try FaultProxy(upstreamPort: simulator.port, rules: rules)
    do {
      try await body(proxy)
    } catch {
      proxy.stop()
      await simulator.stop()
      throw error
    }
    proxy.stop()
    await simulator.stop()
  }

  @Test func passesRequestsAndAnswersUnchanged() async throws {
    try await withProxy([]) { proxy in
      let answer = await RawClient.get("/system_stats", port: proxy.port)
      #expect(answer.text.hasPrefix("HTTP/1.1 200"))
      #expect(answer.end == .closed)
      let stats = try JSONValue.parse(bytes: answer.body)
      #expect(stats["system"]?["comfyui_version"] != nil)
      #expect(proxy.log == ["GET /system_stats: pass"])
    }
  }

  @Test func answersInTheServersPlace() async throws {
    try await withProxy([
      .init(path: "/system_stats", .respond(status: 500, body: "boom"), times: 1),
      .init(path: "/queue", .respond(status: 502, body: "bad gateway")),
      .init(path: "/history", .garbage([0, 1, 2, 3])),
    ]) { proxy in
      let first = await RawClient.get("/system_stats", port: proxy.port)
      #expect(first.text.hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"))
      #expect(first.text.hasSuffix("\r\n\r\nboom"))
      #expect(first.end == .closed)
      // `times: 1`: the second passes.
      #expect(await RawClient.get("/system_stats", port: proxy.port).text.hasPrefix("HTTP/1.1 200"))
      #expect(await RawClient.get("/queue", port: proxy.port).text.hasPrefix("HTTP/1.1 502 Bad Gateway"))
      #expect(await RawClient.get("/history", port: proxy.port).bytes == [0, 1, 2, 3])
    }
  }

  @Test func dropsResetsAndStalls() async throws {
    try await withProxy([
      .init(path: "/system_stats", .dropAfterBytes(20)),
      .init(path: "/queue", .reset),
      .init(path: "/history", .stall),
    ]) { proxy in
      let dropped = await RawClient.get("/system_stats", port: proxy.port)
      #expect(dropped.bytes.count == 20)
      #expect(dropped.text == "HTTP/1.1 200 OK\r\nCon" || dropped.text.hasPrefix("HTTP/1.1 200"))
      #expect(dropped.end == .closed)
      #expect(await RawClient.get("/queue", port: proxy.port).end == .reset)
      // A stall answers nothing: here the quiet half second is the finding, not a wait for a byte.
      let stalled = await RawClient.get("/history", port: proxy.port, quiet: 0.5, until: { _ in true })
      #expect(stalled.bytes.isEmpty)
      #expect(stalled.end == .quiet)
    }
  }

  @Test func dropsAfterSecondsAndDrips() async throws {
    try await withProxy([
      .init(path: "/history", .dropAfterSeconds(0.3)),
      .init(path: "/system_stats", .slowDrip(interval: 0.002)),
    ]) { proxy in
      // /history answers at once; the connection closes 0.3 s after it was asked, as if cut.
      let dropped = await RawClient.get("/history", port: proxy.port)
      #expect(dropped.end == .closed)
      let dripped = await RawClient.get("/system_stats", port: proxy.port)
      #expect(dripped.text.hasPrefix("HTTP/1.1 200"))
      #expect(
        (try? JSONValue.parse(bytes: dripped.body)) != nil,
        "the whole answer arrives, slowly: \(dripped.text) \(dripped.end)")
      #expect(proxy.log.contains("GET /system_stats: drip one byte every 0.002 s"))
    }
  }

  @Test func cutsTheWebSocketInsideAFrame() async throws {
    try await withProxy([.init(path: "/ws", .webSocketCutMidFrame(afterFrames: 0))]) { proxy in
      let socket = await RawClient.webSocket(port: proxy.port)
      #expect(socket.text.hasPrefix("HTTP/1.1 101"))
      let frames = socket.body
      #expect(!frames.isEmpty)
      // The greeting frame arrives in part: fewer bytes than its header announces.
      if let length = RawClient.frameLength(frames, at: 0) { #expect(frames.count < length) }
      #expect(socket.end == .closed)
      #expect(proxy.log.contains("cut the WebSocket inside frame 1"))
    }
  }

  /// The greeting (`status`) is the frame the rule names: nothing of it passes, the socket closes.
  @Test func closesTheWebSocketBeforeAFrameWithAText() async throws {
    try await withProxy([.init(path: "/ws", .webSocketCloseBefore(text: "\"status\""))]) { proxy in
      let closed = await RawClient.webSocket(port: proxy.port, quiet: 5)
      #expect(closed.end == .closed)
      #expect(closed.body.isEmpty, "no frame passed")
      #expect(
        proxy.log.contains { $0.hasPrefix("closed the WebSocket before the frame with") }, "\(proxy.log)")
    }
  }

  /// The socket's greeting passes, then 0.3 s after the upgrade the connection is reset.
  @Test func resetsTheWebSocketAfterSeconds() async throws {
    try await withProxy([.init(path: "/ws", .resetAfterSeconds(0.3))]) { proxy in
      let reset = await RawClient.webSocket(port: proxy.port, quiet: 5)
      #expect(reset.end == .reset)
      #expect(proxy.log.contains("reset after 0.3 s"), "\(proxy.log)")
    }
  }

  @Test func resetsAndSilencesTheWebSocketAfterFrames() async throws {
    try await withProxy([
      .init(path: "/ws", .webSocketResetAfterFrames(1), times: 1),
      .init(path: "/ws", .webSocketSilentAfterFrames(1)),
    ]) { proxy in
      let reset = await RawClient.webSocket(port: proxy.port)
      #expect(reset.end == .reset)
      #expect(RawClient.frameLength(reset.body, at: 0) == reset.body.count, "exactly one whole frame")
      let silent = await RawClient.webSocket(port: proxy.port, quiet: 0.5)
      #expect(silent.end == .quiet)
      #expect(RawClient.frameLength(silent.body, at: 0) == silent.body.count)
    }
  }

  @Test func delaysTheWebSocketGreeting() async throws {
    try await withProxy([.init(path: "/ws", .webSocketDelayGreeting(seconds: 0.6))]) { proxy in
      let socket = await RawClient.webSocket(port: proxy.port, quiet: 2)
      #expect(socket.text.hasPrefix("HTTP/1.1 101"))
      // A lower bound only: the proxy holds the greeting at least that long.
      #expect((socket.firstBodyByteAfter ?? 0) >= 0.6)
      #expect(proxy.log.contains("holding the greeting 0.6 s"))
    }
  }
}
