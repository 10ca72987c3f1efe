import Workflow

/// One `#@ output` line of a recording: a file a prompt wrote, kept beside the recording so a page
/// can be made without the server. The transcript parser reads it as a comment (`#` but not `#> `).
///
///     #@ output 08c130bb-02dd-4065-87a2-a855c955df02 3 output/tutorial_00001_.png -> tutorial.outputs/tutorial_00001_.png
///
/// The fields are the prompt id, the node that wrote the file, where it is on the server
/// (`TYPE/SUBFOLDER/NAME`, as `outputs` prints it) and where it was kept, relative to the recording's
/// folder. A field with a space, a quote, a backslash or a control character is written as a JSON string.
public struct KeptOutput: Sendable, Equatable {
  public static let prefix = "#@ output "

  public var promptID: String
  public var node: String
  /// `output/sub/name.png`: the server's folder type, subfolder and file name.
  public var serverPath: String
  /// Relative to the recording's folder (`session.outputs/name.png`).
  public var localPath: String

  public init(promptID: String, node: String, serverPath: String, localPath: String) {
    self.promptID = promptID
    self.node = node
    self.serverPath = serverPath
    self.localPath = localPath
  }

  /// The line as the recording holds it.
  public var line: String {
    KeptOutput.prefix + [promptID, node, serverPath].map(KeptOutput.field).joined(separator: " ") + " -> "
      + KeptOutput.field(localPath)
  }

  /// `#@ no-output PROMPT`: the prompt finished without writing a file (nothing to fetch later).
  public static let noFilesPrefix = "#@ no-output "

  public static func noFilesLine(promptID: String) -> String { noFilesPrefix + field(promptID) }

  /// The prompt id of a `#@ no-output` line, or nil for any other line.
  public static func promptWithoutFiles(_ line: String) -> String? {
    guard line.hasPrefix(noFilesPrefix) else { return nil }
    let id = String(line.dropFirst(noFilesPrefix.count)).trimmingSpaces
    return id.isEmpty ? nil : id
  }

  /// True for any line that claims to be a `#@ output` annotation (well formed or not).
  public static func isAnnotation(_ line: String) -> Bool { line.hasPrefix(prefix) }

  /// Why an annotation line cannot be read.
  public struct LineError: Error, Sendable, Equatable {
    public let reason: String
  }

  /// Reads a `#@ output` line; throws with the reason when its fields are not all there.
  public static func parse(_ line: String) throws(LineError) -> KeptOutput {
    guard line.hasPrefix(prefix) else { throw LineError(reason: "it does not start with \(prefix)") }
    var fields: [String] = []
    var rest = Substring(line.dropFirst(prefix.count))
    while true {
      rest = rest.drop(while: { $0 == " " })
      if rest.isEmpty { break }
      if rest.first == "\"" {
        guard let (text, after) = quotedField(rest) else {
          throw LineError(reason: "a quoted field does not end")
        }
        fields.append(text)
        rest = after
      } else {
        let word = rest.prefix(while: { $0 != " " })
        fields.append(String(word))
        rest = rest.dropFirst(word.count)
      }
    }
    guard fields.count == 5, fields[3] == "->" else {
      throw LineError(reason: "it needs PROMPT NODE TYPE/SUBFOLDER/NAME -> PATH")
    }
    guard !fields[4].isEmpty, !fields[4].hasPrefix("/") else {
      throw LineError(reason: "the kept path must be relative to the recording's folder")
    }
    return KeptOutput(promptID: fields[0], node: fields[1], serverPath: fields[2], localPath: fields[4])
  }

  /// The server's file as `/view` names it: `output/sub/a.png` → type `output`, subfolder `sub`.
  public var serverFile: (type: String, subfolder: String, filename: String) {
    var parts = serverPath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    let type = parts.count > 1 ? parts.removeFirst() : "output"
    let filename = parts.popLast() ?? serverPath
    return (type, parts.joined(separator: "/"), filename)
  }

  /// The file name the server gave it.
  public var name: String { serverFile.filename }

  static func field(_ text: String) -> String {
    let plain =
      !text.isEmpty && text != "->"
      && !text.unicodeScalars.contains {
        $0 == " " || $0 == "\"" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F
      }
    return plain ? text : JSONValue.string(text).serialized()
  }

  private static func quotedField(_ text: Substring) -> (String, Substring)? {
    var index = text.index(after: text.startIndex)
    var escaped = false
    while index < text.endIndex {
      let character = text[index]
      if escaped {
        escaped = false
      } else if character == "\\" {
        escaped = true
      } else if character == "\"" {
        let end = text.index(after: index)
        guard let value = try? JSONValue.parse(String(text[..<end])), let string = value.stringValue else {
          return nil
        }
        return (string, text[end...])
      }
      index = text.index(after: index)
    }
    return nil
  }
}

extension String {
  /// Without leading and trailing spaces.
  var trimmingSpaces: String {
    String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
  }
}
