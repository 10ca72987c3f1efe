import ComfyRules
import Workflow

/// Every command, in the order `help` lists them.
@MainActor
public enum CommandRegistry {
  public static let all: [any Command.Type] = [
    LoadCommand.self, SaveCommand.self, NewCommand.self, NodesCommand.self, ShowCommand.self, GetCommand.self,
    SetCommand.self, LinkCommand.self, UnlinkCommand.self, AddCommand.self, RmCommand.self, TitleCommand.self,
    JSONCommand.self, DiffCommand.self, UndoCommand.self, RedoCommand.self, ValidateCommand.self,
    CatalogCommand.self, InfoCommand.self, ServerCommand.self, QueueCommand.self, HistoryCommand.self,
    InterruptCommand.self, CancelCommand.self, UploadCommand.self, OutputsCommand.self, DownloadCommand.self,
    ViewCommand.self, ImagesCommand.self,
    KeyCommand.self, RunCommand.self, PoolCommand.self, WatchCommand.self, SeedCommand.self,
    PayloadCommand.self,
    ExportCommand.self, ExplainCommand.self, TraceCommand.self,
    RecordCommand.self, SourceCommand.self, LetCommand.self, EchoCommand.self, HelpCommand.self,
    QuitCommand.self,
  ]

  /// The commands by group, in `help` order; groups without commands are left out.
  static var byGroup: [(group: CommandGroup, commands: [any Command.Type])] {
    CommandGroup.allCases.compactMap { group in
      let commands = all.filter { $0.group == group }
      return commands.isEmpty ? nil : (group, commands)
    }
  }

  private static let byName: [String: any Command.Type] = {
    var table: [String: any Command.Type] = [:]
    for command in all {
      table[command.name] = command
      for alias in command.aliases { table[alias] = command }
    }
    return table
  }()

  public static func command(named name: String) -> (any Command.Type)? { byName[name] }

  /// All names and aliases, for completion.
  public static var names: [String] { all.map { $0.name } }

  static func unknownCommandMessage(_ name: String) -> String {
    if let close = Suggest.closest(name, in: Array(byName.keys)) {
      return "unknown command \(name) (did you mean \(close)?); `help` lists the commands"
    }
    return "unknown command \(name); `help` lists the commands"
  }
}
