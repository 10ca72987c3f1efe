import ComfyClient
import Workflow

/// A file a command's prompts made, as a page shows it: where it came from and its bytes, or why
/// it could not be had.
public struct PageImage: Sendable, Equatable {
  public enum Content: Sendable, Equatable {
    /// A file on disk (a kept output).
    case file(String)
    /// Fetched from the server.
    case bytes([UInt8])
    /// Why there is no picture (said on the page in its place).
    case missing(String)
  }

  /// The server's file name (`tutorial_00001_.png`).
  public var name: String
  /// `output/tutorial_00001_.png`, when known.
  public var serverPath: String?
  public var promptID: String
  public var node: String?
  public var content: Content
}

/// Finds the pictures of each cell of a page: the kept files of its `#@ output` lines, else the
/// server's files for the prompts its `run`s queued (`/history/ID`, then `/view`), shown after the
/// `watch` that followed the run (or after the run when none did).
@MainActor
public struct PageImages {
  /// The recording's folder, which kept paths are relative to.
  let baseFolder: String
  let client: ComfyClient

  public init(baseFolder: String, client: ComfyClient) {
    self.baseFolder = baseFolder
    self.client = client
  }

  /// Each cell's pictures (same order as `page.cells`) and a warning for each that could not be had.
  public func resolve(_ page: NotebookPage) async -> (images: [[PageImage]], warnings: [String]) {
    let cells = page.cells
    var images = [[PageImage]](repeating: [], count: cells.count)
    var warnings: [String] = []
    var fetcher = Fetcher(client: client)
    var keptPrompts: Set<String> = []
    for cell in cells {
      keptPrompts.formUnion(cell.kept.map(\.promptID))
      keptPrompts.formUnion(cell.promptsWithoutFiles)
    }
    for (index, cell) in cells.enumerated() {
      for (line, reason) in cell.unreadable {
        warnings.append("line \(line): an unreadable #@ output line (\(reason)); it was left out")
      }
      for kept in cell.kept {
        let path = FileIO.resolve(kept.localPath, relativeTo: baseFolder)
        var image = PageImage(
          name: kept.name, serverPath: kept.serverPath, promptID: kept.promptID, node: kept.node,
          content: .file(path))
        if FileIO.kind(of: path) == .folder || !FileIO.exists(path) {
          let (type, subfolder, filename) = kept.serverFile
          let file = OutputFile(filename: filename, subfolder: subfolder, type: type)
          switch await fetcher.view(file) {
          case .success(let bytes):
            image.content = .bytes(bytes)
            warnings.append(
              "the kept file \(kept.localPath) is missing; \(kept.serverPath) came from \(client.server)")
          case .failure(let reason):
            let note = "the kept file \(kept.localPath) is missing, and \(reason)"
            image.content = .missing(note)
            warnings.append(note)
          }
        }
        images[index].append(image)
      }
    }
    for (index, cell) in cells.enumerated() {
      for id in cell.queuedPromptIDs where !keptPrompts.contains(id) {
        let target = PageImages.cellShowing(promptOf: index, in: cells)
        switch await fetcher.files(of: id) {
        case .success(let files):
          for (node, file) in files {
            var image = PageImage(
              name: file.filename, serverPath: file.path, promptID: id, node: node, content: .missing(""))
            switch await fetcher.view(file) {
            case .success(let bytes): image.content = .bytes(bytes)
            case .failure(let reason):
              image.content = .missing("\(file.path) was not kept, and \(reason)")
              warnings.append("prompt \(id): \(file.path) was not kept, and \(reason)")
            }
            images[target].append(image)
          }
        case .failure(let reason):
          let note =
            "the pictures of prompt \(id) were not kept, and \(reason): record with --keep-outputs or render --replay"
          images[target].append(
            PageImage(name: "", serverPath: nil, promptID: id, node: nil, content: .missing(note)))
          warnings.append(note)
        }
      }
    }
    return (images, warnings)
  }

  /// The cell that shows the pictures of a prompt `cells[index]` queued: the first `watch` from it
  /// on, before the next cell that queues another; else the queuing cell itself.
  static func cellShowing(promptOf index: Int, in cells: [NotebookPage.Cell]) -> Int {
    var next = index
    while next < cells.count {
      if next > index && !cells[next].queuedPromptIDs.isEmpty { break }
      if cells[next].watches { return next }
      next += 1
    }
    return index
  }

  /// Asks the server, remembering what it answered and whether it can be reached at all.
  struct Fetcher {
    let client: ComfyClient
    private var unreachable: String?
    private var viewed: [String: [UInt8]] = [:]

    init(client: ComfyClient) { self.client = client }

    /// The prompt's files from `/history/ID`, or why they cannot be had (in words for the page).
    mutating func files(of id: String) async -> Result<[(node: String, file: OutputFile)], Reason> {
      if let unreachable { return .failure(Reason(unreachable)) }
      do {
        guard let entry = try await client.history(promptID: id) else {
          return .failure(Reason("the server \(client.server) has no prompt \(id)"))
        }
        return .success(entry.files)
      } catch {
        return .failure(Reason(giveUp(error)))
      }
    }

    /// A file's bytes from `/view`, or why not.
    mutating func view(_ file: OutputFile) async -> Result<[UInt8], Reason> {
      if let bytes = viewed[file.path] { return .success(bytes) }
      if let unreachable { return .failure(Reason(unreachable)) }
      do {
        let bytes = try await client.view(file)
        viewed[file.path] = bytes
        return .success(bytes)
      } catch ComfyClientError.fileNotFound {
        return .failure(Reason("the server \(client.server) has no \(file.path)"))
      } catch {
        return .failure(Reason(giveUp(error)))
      }
    }

    /// A server that cannot be reached is not asked again.
    private mutating func giveUp(_ error: any Error) -> String {
      let reason = "the server \(client.server) could not be asked (\(ShellError.from(error).message))"
      if case .cannotConnect = error as? ComfyClientError { unreachable = reason }
      return reason
    }
  }

  /// Words for the page about why something is not there.
  struct Reason: Error, CustomStringConvertible {
    let description: String
    init(_ text: String) { description = text }
  }
}
