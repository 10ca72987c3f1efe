/// How `help` groups commands (the sections of Docs/commands.md).
public enum CommandGroup: String, Sendable, CaseIterable {
  case workflow = "Workflow"
  case server = "Server"
  case keys = "Keys"
  case running = "Running"
  case sessions = "Sessions"
  case teaching = "Teaching"
}

/// What an argument position holds, so Tab can complete it.
public enum ArgumentKind: Sendable, Equatable {
  case node
  case input
  case output
  case value
  case path
  case className
  case command
  /// Fixed words, and with `names` also the session's names of that kind (`server add` or `server work`).
  case word([String], names: String? = nil)
  /// Names the session knows, by kind (`keys`, `servers`): `CompletionContext.names`.
  case name(String)
  case text
}

/// A shell command: one type per command, one file each.
@MainActor
public protocol Command {
  static var name: String { get }
  static var aliases: [String] { get }
  static var group: CommandGroup { get }
  /// `set INPUT VALUE`: the command and its arguments.
  static var usage: String { get }
  /// One sentence saying what it does.
  static var summary: String { get }
  /// A line that works as typed.
  static var example: String { get }
  /// What each position holds, for completion; the last one repeats.
  static var arguments: [ArgumentKind] { get }

  static func run(_ arguments: inout Arguments, in session: Session) async throws
}

extension Command {
  public static var aliases: [String] { [] }
  public static var arguments: [ArgumentKind] { [] }
}

/// The arguments of one command after `$NAME` expansion, with helpers that turn mistakes into
/// messages quoting the usage line.
public struct Arguments: Sendable {
  public let command: String
  public let usage: String
  public private(set) var values: [Argument]

  public init(command: String, usage: String, values: [Argument]) {
    self.command = command
    self.usage = usage
    self.values = values
  }

  public var count: Int { values.count }
  public var isEmpty: Bool { values.isEmpty }
  public subscript(index: Int) -> Argument { values[index] }

  /// Removes a flag such as `--force`/`-f` wherever it is (unquoted only); true if it was there.
  public mutating func flag(_ names: String...) -> Bool {
    guard let index = values.firstIndex(where: { $0.kind == .bare && names.contains($0.text) }) else {
      return false
    }
    values.remove(at: index)
    return true
  }

  /// Removes `--name VALUE` (or `--name=VALUE`) and returns VALUE.
  public mutating func option(_ names: String...) throws(ShellError) -> Argument? {
    for (index, argument) in values.enumerated() where argument.kind == .bare {
      if names.contains(argument.text) {
        guard index + 1 < values.count else {
          throw ShellError("\(argument.text) needs a value; usage: \(usage)")
        }
        let value = values[index + 1]
        values.removeSubrange(index...(index + 1))
        return value
      }
      if let name = names.first(where: { argument.text.hasPrefix($0 + "=") }) {
        values.remove(at: index)
        let text = String(argument.text.dropFirst(name.count + 1))
        return Argument(text: text, raw: text, kind: .bare)
      }
    }
    return nil
  }

  /// Fails unless the count is within `range`, quoting the usage line.
  public func expect(_ range: ClosedRange<Int>) throws(ShellError) {
    if let unknown = values.first(where: { $0.kind == .bare && $0.text.hasPrefix("--") && $0.text.count > 2 })
    {
      throw ShellError("\(command) has no option \(unknown.text); usage: \(usage)")
    }
    guard range.contains(values.count) else {
      let what = values.count < range.lowerBound ? "needs more arguments" : "has too many arguments"
      throw ShellError("\(command) \(what); usage: \(usage)")
    }
  }

  public func expect(_ count: Int) throws(ShellError) { try expect(count...count) }
}
