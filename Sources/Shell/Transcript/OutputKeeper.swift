import ComfyClient
import Workflow

/// `record FILE --keep-outputs`: after each recorded command, downloads the files of this session's
/// prompts that have finished into a folder beside the recording (`session.comfy` → `session.outputs/`),
/// never over an existing file, and says with `#@ output` lines where each came from.
@MainActor
public final class OutputKeeper {
  /// Where the files go (`…/session.outputs`).
  public let folder: String
  /// The folder the `#@ output` paths are relative to: the recording's.
  public let baseFolder: String
  /// Prompts whose outputs were kept, or that had ended before the recording began.
  private var done: Set<String>
  /// Prompts known at the last look: a prompt queued since then ended in the command that queued it.
  private var seen: Set<String>
  /// Server files already kept, so a prompt answered from the cache points at the same local file.
  private var keptFiles: [String: String] = [:]

  /// The folder beside a recording: `a/session.comfy` → `a/session.outputs`.
  public static func folder(besideRecording path: String) -> String {
    let name = FileIO.baseName(of: path)
    let stem = name.hasSuffix(".comfy") && name.count > 6 ? String(name.dropLast(6)) : name
    guard path.contains("/") else { return stem + ".outputs" }
    let parent = FileIO.parentFolder(of: path)
    return (parent == "/" ? "" : parent) + "/" + stem + ".outputs"
  }

  /// Keeps the outputs of prompts that end from now on; prompts that have already ended are left out.
  public init(folder: String, baseFolder: String, server: ServerSession) {
    self.folder = folder
    self.baseFolder = baseFolder
    let ids = server.records.map(\.id)
    done = Set(server.records.filter { $0.final != nil || $0.endShown }.map(\.id))
    seen = Set(ids)
  }

  /// Downloads the files of prompts that have finished and returns their `#@ output` lines. A prompt
  /// that ended inside the command that queued it waits for the next command, unless a `watch`
  /// showed its end, so its pictures come after the `watch` (a bare `run` can be answered at once).
  /// A download that fails is a warning: the recording goes on without that file.
  public func keepFinishedOutputs(of session: Session) async -> [String] {
    let server = session.server
    var lines: [String] = []
    for record in server.records where !done.contains(record.id) {
      guard let tracker = await server.tracker(record.id), tracker.isFinished else { continue }
      guard record.endShown || seen.contains(record.id) else { continue }
      done.insert(record.id)
      if tracker.outputs.isEmpty {
        lines.append(KeptOutput.noFilesLine(promptID: record.id))
        continue
      }
      guard record.server == server.address else {
        session.console.warning(
          "the outputs of prompt \(record.id) are not kept: it ran on \(record.server), not on \(server.address)"
        )
        continue
      }
      for (node, file) in tracker.outputs {
        if let line = await keep(file, node: node, promptID: record.id, session: session) {
          lines.append(line)
        }
      }
    }
    seen = Set(server.records.map(\.id))
    return lines
  }

  private func keep(_ file: OutputFile, node: String, promptID: String, session: Session) async -> String? {
    if let local = keptFiles[file.path] {
      return KeptOutput(promptID: promptID, node: node, serverPath: file.path, localPath: local).line
    }
    do {
      let bytes = try await session.request { try await session.server.client.view(file) }
      // A key in a file's name (a filename_prefix) is masked on disk as in the recording.
      let sub = session.masked(DownloadCommand.safeSubfolder(file.subfolder))
      let target = try DownloadCommand.write(
        bytes, folder: sub.isEmpty ? folder : folder + "/" + sub,
        name: session.masked(DownloadCommand.safeName(file.filename)))
      let local = relative(target)
      keptFiles[file.path] = local
      return KeptOutput(promptID: promptID, node: node, serverPath: file.path, localPath: local).line
    } catch {
      session.console.warning(
        "could not keep \(file.path) of prompt \(promptID): \(ShellError.from(error).message); the recording goes on without it"
      )
      return nil
    }
  }

  /// `…/session.outputs/a.png` relative to the recording's folder: `session.outputs/a.png`.
  private func relative(_ path: String) -> String {
    let base = baseFolder.hasSuffix("/") ? baseFolder : baseFolder + "/"
    if baseFolder != ".", path.hasPrefix(base) { return String(path.dropFirst(base.count)) }
    return path.hasPrefix("./") ? String(path.dropFirst(2)) : path
  }
}
