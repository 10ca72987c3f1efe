import Dispatch

/// Blocking work (a read that waits for a person or a pipe, waiting for a child process) run off
/// Swift concurrency's cooperative threads. There is one of those per core; a blocking call on one
/// starves every other task, and on a 2-core machine two such waits stop the program.
public enum OwnThread {
  /// Standard input is read on one queue, so lines come in order however many tasks ask.
  public static let standardInput = DispatchQueue(label: "comfysh.standard-input")

  /// Runs `work` on `queue` (by default a new serial queue, which always gets a thread of its own).
  public static func run<T: Sendable>(
    on queue: DispatchQueue? = nil, _ work: @escaping @Sendable () -> T
  ) async -> T {
    await withCheckedContinuation { continuation in
      (queue ?? DispatchQueue(label: "comfysh.blocking")).async { continuation.resume(returning: work()) }
    }
  }

  /// Runs throwing `work` on `queue` (by default a new serial queue) and resumes with its result or error.
  public static func run<T: Sendable>(
    on queue: DispatchQueue? = nil, _ work: @escaping @Sendable () throws -> T
  ) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      (queue ?? DispatchQueue(label: "comfysh.blocking")).async {
        continuation.resume(with: Result { try work() })
      }
    }
  }
}
