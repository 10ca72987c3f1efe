import ComfyClient
import Workflow

extension ShellError {
  /// A client error in the shell's words, with any key in it masked.
  @MainActor
  static func server(_ error: any Error, session: Session) -> ShellError {
    ShellError(session.masked(ShellError.from(error).message))
  }
}

extension Session {
  /// Reads something the user typed with a ComfyClient parser (a server URL); failures read as shell errors.
  func parse<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch {
      throw ShellError.server(error, session: self)
    }
  }

  /// Runs a server request; its failures become shell errors with keys masked.
  func request<T>(_ body: () async throws -> T) async throws -> T {
    do {
      return try await body()
    } catch {
      throw ShellError.server(error, session: self)
    }
  }
}
