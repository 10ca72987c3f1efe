import ComfyClient
import Media
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// Appends each finished command and its output (`#> ` lines) to a script file, so a session replays
/// as it is and reads like a notebook. Every command is written with one `write(2)` on an `O_APPEND`
/// descriptor as soon as it finishes, so a crash (even `kill -9`) loses nothing already run.
public final class Recorder {
  public let path: String
  private var fd: Int32
  /// Secret values (API keys) that must never reach the file; replaced by their masked form.
  private let secrets: () -> [String]
  /// Why the last write failed (a full disk, a removed folder); the file was cut back to the last
  /// finished command, and nothing more is written.
  public private(set) var writeError: String?
  /// `--keep-outputs`: downloads the files of finished prompts beside the recording after each command.
  public var outputKeeper: OutputKeeper?

  /// Opens `path` for appending. A new file is created; an existing one must be a regular file that
  /// is already a comfysh script, so a workflow, an image or any other file is never appended to.
  @MainActor
  public init(path: String, secrets: @escaping () -> [String] = { [] }) throws(ShellError) {
    let folder = FileIO.parentFolder(of: path)
    guard FileIO.isFolder(folder) else {
      throw ShellError("cannot record to \(path): the folder \(folder) does not exist")
    }
    switch FileIO.kind(of: path) {
    case .folder: throw ShellError("cannot record to \(path): it is a folder; give a file name")
    case .other(let what):
      throw ShellError("cannot record to \(path): it is \(what), not a regular file")
    case .missing, .regular, .symbolicLink: break
    }
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw ShellError("cannot record to \(path): \(String(cString: strerror(errno)))")
    }
    self.path = path
    self.fd = fd
    self.secrets = secrets
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_size > 0 else { return }
    if (info.st_mode & S_IFMT) != S_IFREG {
      close()
      throw ShellError("cannot record to \(path): it is not a regular file")
    }
    let existing: [UInt8]
    do {
      existing = try FileIO.read(path, limit: .script)
    } catch {
      close()
      throw ShellError("cannot record to \(path): \(error.reason)")
    }
    if let problem = Recorder.notARecording(existing) {
      close()
      throw ShellError(
        "\(path) exists and is \(problem); record appends only to a comfysh script, so give a new name (e.g. session.comfy)"
      )
    }
    // A file that does not end with a line break gets one, so the first command starts a line.
    if existing.last != 0x0A { append("\n") }
  }

  /// Why existing bytes are not a script that a recording can go on: nil when they are one (text that
  /// parses, whose commands are all comfysh commands).
  @MainActor
  static func notARecording(_ bytes: [UInt8]) -> String? {
    if PNGChunks.isPNG(bytes) { return "a PNG image" }
    if bytes.contains(0) { return "a binary file" }
    guard let text = String(validating: bytes, as: UTF8.self) else { return "not UTF-8 text" }
    if let value = try? JSONValue.parse(text), value.objectValue != nil || value.arrayValue != nil {
      return "a JSON file"
    }
    guard let transcript = try? Transcript(text: text) else {
      return "not a comfysh script (it does not parse)"
    }
    for entry in transcript.entries {
      guard case .command(let words, _, _) = entry.statement, let first = words.first else { continue }
      if first.raw.hasPrefix("$") || CommandRegistry.command(named: first.raw) != nil { continue }
      return "not a comfysh script (line \(entry.statement.line) starts with \(first.raw.prefix(40)))"
    }
    return nil
  }

  deinit { close() }

  /// Writes a command as typed and the lines it printed.
  public func record(source: String, output: [String]) {
    var text = redact(source) + "\n"
    for line in output { text += line.isEmpty ? "#>\n" : "#> " + redact(line) + "\n" }
    append(text)
  }

  /// A failed command becomes a comment, so the script stays replayable; a message of several lines
  /// goes on in `#   ` comment lines.
  public func recordFailure(source: String, message: String) {
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    let messageLines = redact(message).split(whereSeparator: \.isNewline).map(String.init)
    var text = ""
    for (i, line) in lines.enumerated() {
      text += "# " + redact(String(line))
      if i == lines.count - 1 { text += "   (failed: " + messageLines.joined(separator: "\n#   ") + ")" }
      text += "\n"
    }
    append(text)
  }

  /// Annotation lines (`#@ output …`) after the last command: comments to a replay.
  public func annotate(_ lines: [String]) {
    guard !lines.isEmpty else { return }
    append(lines.map { redact($0) + "\n" }.joined())
  }

  /// A comment line (`# recording started …`).
  public func comment(_ text: String) { append("# " + redact(text) + "\n") }

  public func close() {
    if fd >= 0 {
      Glibc.close(fd)
      fd = -1
    }
  }

  private func redact(_ text: String) -> String {
    KeyMasking(secrets: secrets()).apply(text)
  }

  /// Appends one command's text whole or not at all: after a failed write the file is cut back to
  /// where it was, so the recording stays replayable up to the last finished command.
  private func append(_ text: String) {
    guard fd >= 0, writeError == nil else { return }
    var info = stat()
    let before = fstat(fd, &info) == 0 ? info.st_size : -1
    // Writing on after the file (or its folder) was removed or replaced would lose the recording unseen.
    var atPath = stat()
    guard stat(path, &atPath) == 0, atPath.st_ino == info.st_ino, atPath.st_dev == info.st_dev else {
      writeError = "\(path) was removed or replaced while recording"
      close()
      return
    }
    var text = text
    let failure: Int32? = text.withUTF8 { buffer in
      var offset = 0
      while offset < buffer.count {
        let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          return errno
        }
        offset += n
      }
      return nil
    }
    guard let failure else { return }
    if before >= 0 { _ = ftruncate(fd, before) }
    writeError = String(cString: strerror(failure))
    close()
  }
}
