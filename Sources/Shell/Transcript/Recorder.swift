import ComfyClient
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

  public init(path: String, secrets: @escaping () -> [String] = { [] }) throws(ShellError) {
    let folder = FileIO.parentFolder(of: path)
    guard FileIO.isFolder(folder) else {
      throw ShellError("cannot record to \(path): the folder \(folder) does not exist")
    }
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw ShellError("cannot record to \(path): \(String(cString: strerror(errno)))")
    }
    self.path = path
    self.fd = fd
    self.secrets = secrets
    // A file that does not end with a line break gets one, so the first command starts a line.
    var info = stat()
    if fstat(fd, &info) == 0, info.st_size > 0, let last = try? FileIO.read(path).last, last != 0x0A {
      append("\n")
    }
  }

  deinit { close() }

  /// Writes a command as typed and the lines it printed.
  public func record(source: String, output: [String]) {
    var text = redact(source) + "\n"
    for line in output { text += line.isEmpty ? "#>\n" : "#> " + redact(line) + "\n" }
    append(text)
  }

  /// A failed command becomes a comment, so the script stays replayable.
  public func recordFailure(source: String, message: String) {
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    var text = ""
    for (i, line) in lines.enumerated() {
      text += "# " + redact(String(line))
      if i == lines.count - 1 { text += "   (failed: \(redact(message)))" }
      text += "\n"
    }
    append(text)
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

  private func append(_ text: String) {
    guard fd >= 0 else { return }
    TextSink.writeAll(fd, text)
  }
}
