import Hummingbird
import HummingbirdWebSocket
import NIOCore
import Workflow

/// One `/ws` connection, served as ComfyUI's `websocket_handler`: register under the client id
/// (or a made-up uuid4 hex), greet, answer the `feature_flags` hello, forward queued frames in
/// order, and unregister the client id when the socket closes.
struct WebSocketSession {
  let environment: SimEnvironment

  func serve(
    inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
    context: WebSocketRouterContext<SimRequestContext>
  ) async {
    let given = Query(context.request.uri.query)["clientId"] ?? ""
    let sid = given.isEmpty ? makeUUID().replacingAll("-", with: "") : given
    let dropAfter = environment.faults.dropWebSocketAfter
    let channel = context.requestContext.channel
    let hub = environment.hub
    let (stream, outbox) = AsyncStream<OutboundFrame>.makeStream()
    let connection = hub.makeConnection(outbox: outbox)
    if let delay = environment.faults.registrationDelay { try? await Task.sleep(for: delay) }
    hub.connect(sid: sid, connection: connection, queueRemaining: environment.queue.remaining)

    await withTaskGroup(of: Void.self) { group in
      group.addTask {
        var sent = 0
        if dropAfter == 0 {
          channel.close(promise: nil)
          return
        }
        for await frame in stream {
          do {
            switch frame {
            case .text(let text): try await outbound.write(.text(text))
            case .binary(let bytes): try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
            }
          } catch {
            return
          }
          sent += 1
          if let limit = dropAfter, sent >= limit {
            // A cut connection: no close frame, the TCP connection just ends.
            channel.close(promise: nil)
            return
          }
        }
      }
      group.addTask {
        var first = true
        do {
          for try await message in inbound.messages(maxSize: 1 << 24) {
            guard case .text(let text) = message else { continue }
            hub.received(text: text, sid: sid, isFirstMessage: first)
            first = false
          }
        } catch {
          return
        }
      }
      await group.next()
      group.cancelAll()
    }
    hub.disconnect(sid: sid)
    hub.closed(connection)
    outbox.finish()
  }
}
