import Synchronization

/// One thing that went over the wire to a server, for `trace`.
public enum TrafficEvent: Sendable {
  /// `id` pairs a request with its answer (requests may overlap).
  case request(id: Int, method: String, route: String, body: [UInt8]?)
  case response(
    id: Int, method: String, route: String, status: Int, reason: String, seconds: Double, body: [UInt8])
  case failed(id: Int, method: String, route: String, seconds: Double, error: String)
  case socketOpened(url: String)
  case socketSent(String)
  case socketText(String)
  case socketBinary([UInt8])
  case socketClosed(reason: String)
}

/// Where a client reports its traffic while someone listens; costs one lock read per request or frame
/// when no one does.
public final class TrafficTap: Sendable {
  private let observer = Mutex<(@Sendable (TrafficEvent) -> Void)?>(nil)
  private let counter = Mutex(0)

  public init() {}

  public func start(_ listener: @escaping @Sendable (TrafficEvent) -> Void) {
    observer.withLock { $0 = listener }
  }

  public func stop() { observer.withLock { $0 = nil } }

  public var isOn: Bool { observer.withLock { $0 != nil } }

  /// Builds the event only when someone listens.
  func record(_ event: () -> TrafficEvent) {
    guard let listener = observer.withLock({ $0 }) else { return }
    listener(event())
  }

  func nextID() -> Int {
    counter.withLock {
      $0 += 1
      return $0
    }
  }
}
