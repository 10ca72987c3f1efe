import ComfyClient
import Workflow

/// A command that failed, with a message that says what is wrong and what to do; nothing was changed.
public struct ShellError: Error, Sendable, Equatable, CustomStringConvertible {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }

  /// Wraps another module's error, keeping its user-facing words.
  public static func from(_ error: any Error) -> ShellError {
    switch error {
    case let e as ShellError: e
    case let e as WorkflowError: ShellError(e.message)
    case let e as FileError: ShellError(e.description)
    case let e as JSONParseError: ShellError("invalid JSON: \(e)")
    case let e as ComfyClientError: ShellError(e.shellMessage)
    case let e as PromptRejection: ShellError(e.description)
    case is CancellationError: ShellError("cancelled")
    default: ShellError("\(error)")
    }
  }
}
