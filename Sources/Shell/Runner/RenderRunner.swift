import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// What a page is written as.
public enum PageFormat: String, Sendable, Equatable {
  case html, markdown

  var fileExtension: String { self == .html ? "html" : "md" }

  /// The format an output name asks for (`.md`, `.markdown`, `.html`, `.htm`), or nil.
  static func implied(by path: String) -> PageFormat? {
    let lower = path.lowercased()
    if lower.hasSuffix(".md") || lower.hasSuffix(".markdown") { return .markdown }
    if lower.hasSuffix(".html") || lower.hasSuffix(".htm") { return .html }
    return nil
  }
}

/// `comfysh render SESSION.comfy [--html|--md] [-o FILE] [--replay] [--server URL|--sim]`.
public struct RenderOptions: Sendable, Equatable {
  public var sessionPath = ""
  /// nil: from `-o`'s extension, else HTML.
  public var format: PageFormat?
  public var outputPath: String?
  public var replay = false
  public var server: String?
  public var useSimulator = false
  /// The in-process simulator `--sim` started.
  public var simulatorURL: String?
  /// `--comfyui VERSION` for `--sim`.
  public var comfyUIVersion: String?

  public init() {}

  /// The format to write: the flag, else the output's extension, else HTML.
  public var chosenFormat: PageFormat {
    format ?? outputPath.flatMap(PageFormat.implied(by:)) ?? .html
  }

  /// The page's path: `-o`, else the session's name with `.html`/`.md` beside it.
  public var chosenOutputPath: String {
    if let outputPath { return outputPath }
    let name = sessionPath.hasSuffix(".comfy") ? String(sessionPath.dropLast(6)) : sessionPath
    return name + "." + chosenFormat.fileExtension
  }
}

/// Writes a recorded session as a page (Docs/guide.md, "Sessions as pages"): 0 when the page was
/// written (pictures that could not be had are named on it and warned about), 2 when it was not.
@MainActor
public enum RenderRunner {
  public static func run(_ options: RenderOptions) async -> Int32 {
    let console = Console(jsonMode: false, style: Style.detect(noColorFlag: false))
    let session = Session(console: console)
    let status = await render(options, session: session)
    await session.server.shutdown()
    console.flush()
    return status
  }

  static func render(_ options: RenderOptions, session: Session) async -> Int32 {
    let console = session.console
    let sessionPath = options.sessionPath
    let outputPath = options.chosenOutputPath
    let format = options.chosenFormat
    let bytes: [UInt8]
    do {
      bytes = try FileIO.read(sessionPath, limit: .script)
    } catch {
      console.error("cannot read the session \(sessionPath): \(error.reason)")
      return 2
    }
    let problem = Recorder.notARecording(bytes)
    let text = String(decoding: bytes, as: UTF8.self)
    let transcript: Transcript
    do {
      transcript = try Transcript(text: text)
    } catch {
      if let problem, !problem.contains("does not parse") {
        console.error("\(sessionPath) is \(problem); render takes a recorded session (comfysh --record FILE)")
      } else {
        console.error(
          "\(error.message); render takes a recorded comfysh session",
          location: "\(sessionPath):\(error.line)")
      }
      return 2
    }
    if let problem {
      console.error("\(sessionPath) is \(problem); render takes a recorded session (comfysh --record FILE)")
      return 2
    }
    if RenderFiles.sameFile(outputPath, sessionPath) {
      console.error(
        "the page would replace the session \(sessionPath) itself; give another name: -o \(RenderFiles.stem(sessionPath)).\(format.fileExtension)"
      )
      return 2
    }
    if FileIO.isFolder(outputPath) {
      console.error("\(outputPath) is a folder; give a file name for the page with -o")
      return 2
    }
    do {
      try session.server.configure(server: options.server, simulatorURL: options.simulatorURL)
    } catch {
      console.error(ShellError.from(error).message + "; give a URL such as --server http://127.0.0.1:8188")
      return 2
    }

    var pageText = text
    var baseFolder = FileIO.parentFolder(of: sessionPath)
    var scratch: String?
    defer { if let scratch { RenderFiles.removeTree(scratch) } }
    if options.replay {
      do {
        scratch = try RenderFiles.temporaryFolder()
      } catch {
        console.error("cannot make a temporary folder for the replay: \(error.reason)")
        return 2
      }
      guard let scratch else { return 2 }
      console.note("replaying \(FileIO.baseName(of: sessionPath)) on \(session.server.address)")
      let interpreter = Interpreter(session: session)
      pageText = await SessionReplay.run(
        transcript, sessionPath: sessionPath,
        keptFolder: scratch + "/" + FileIO.baseName(of: RenderFiles.stem(sessionPath)) + ".outputs",
        interpreter: interpreter)
      baseFolder = scratch
    }
    let page: NotebookPage
    do {
      page = try NotebookPage(text: pageText)
    } catch {
      console.error(error.message, location: "\(sessionPath):\(error.line)")
      return 2
    }
    let (images, warnings) = await PageImages(baseFolder: baseFolder, client: session.server.client).resolve(
      page)
    for warning in warnings { console.warning(warning) }

    let name = FileIO.baseName(of: sessionPath)
    let written: String
    switch format {
    case .html:
      let keptWord = options.replay ? "made by the replay" : "kept"
      written = NotebookHTML.render(page, name: name, images: images, keptWord: keptWord) { path in
        do {
          return .success(try FileIO.read(path, limit: .workflow))
        } catch {
          return .failure(
            PageImages.Reason("cannot read the kept file \(path): \(ShellError.from(error).message)"))
        }
      }
    case .markdown:
      var files = PageFiles(
        folder: RenderFiles.stem(outputPath) + ".files", pageFolder: FileIO.parentFolder(of: outputPath),
        copyKept: options.replay)
      written = NotebookMarkdown.render(page, name: name, images: images) { files.link($0) }
      for warning in files.warnings { console.warning(warning) }
    }
    do {
      try FileIO.writeAtomically(outputPath, text: written)
    } catch {
      console.error("cannot write the page \(outputPath): \(error.reason)")
      return 2
    }
    let pictures = images.joined()
    let missing = pictures.filter { if case .missing = $0.content { true } else { false } }.count
    var summary = "wrote \(outputPath): \(Render.plural(page.cells.count, "command")), "
    summary += Render.plural(pictures.count - missing, "picture")
    if missing > 0 { summary += " (\(missing) missing: the page says why)" }
    console.result(summary, json: ["type": "render", "file": .string(outputPath)])
    return 0
  }
}

/// The pictures of a Markdown page: kept files are linked where they are; fetched (or replayed) ones
/// are written into a folder beside the page (`page.md` → `page.files/`), replacing an earlier render's.
@MainActor
struct PageFiles {
  let folder: String
  let pageFolder: String
  /// Kept files live in a temporary folder (a replay): copy them too.
  let copyKept: Bool
  private var written: [String: String] = [:]
  private var used: Set<String> = []
  private(set) var warnings: [String] = []

  init(folder: String, pageFolder: String, copyKept: Bool) {
    self.folder = folder
    self.pageFolder = pageFolder
    self.copyKept = copyKept
  }

  mutating func link(_ picture: PageImage) -> Result<String, PageImages.Reason> {
    let bytes: [UInt8]
    switch picture.content {
    case .missing(let reason): return .failure(PageImages.Reason(reason))
    case .file(let path) where !copyKept:
      guard FileIO.exists(path) else {
        return .failure(PageImages.Reason("the kept file \(path) is missing"))
      }
      return .success(RenderFiles.relative(path, from: pageFolder))
    case .file(let path):
      do {
        bytes = try FileIO.read(path, limit: .workflow)
      } catch {
        return .failure(PageImages.Reason("cannot read \(path): \(error.reason)"))
      }
    case .bytes(let fetched):
      bytes = fetched
    }
    let key = picture.serverPath ?? picture.name
    if let done = written[key] { return .success(RenderFiles.relative(done, from: pageFolder)) }
    let name = uniqueName(DownloadCommand.safeName(picture.name.isEmpty ? "output" : picture.name))
    let target = folder + "/" + name
    do {
      try FileIO.createFolder(folder)
      try FileIO.writeAtomically(target, bytes)
    } catch {
      let reason = "cannot write \(target): \(error.reason)"
      warnings.append(reason)
      return .failure(PageImages.Reason(reason))
    }
    written[key] = target
    return .success(RenderFiles.relative(target, from: pageFolder))
  }

  /// `a.png`, else `a (1).png`… among the names this page used.
  private mutating func uniqueName(_ name: String) -> String {
    let dot = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : $0 }
    let stem = dot.map { String(name[..<$0]) } ?? name
    let ext = dot.map { String(name[$0...]) } ?? ""
    var candidate = name
    var attempt = 0
    while used.contains(candidate) {
      attempt += 1
      candidate = "\(stem) (\(attempt))\(ext)"
    }
    used.insert(candidate)
    return candidate
  }
}

/// Paths for rendering: absolute and relative forms, a scratch folder.
enum RenderFiles {
  /// `a/session.comfy` → `a/session`; other names stay as they are.
  static func stem(_ path: String) -> String {
    for ext in [".comfy", ".html", ".htm", ".md", ".markdown"] where path.lowercased().hasSuffix(ext) {
      return String(path.dropLast(ext.count))
    }
    return path
  }

  /// `path` made absolute against the current folder, with `.` and `..` worked out.
  static func absolute(_ path: String) -> [Substring] {
    let full = path.hasPrefix("/") ? path : FileIO.currentFolder() + "/" + path
    var parts: [Substring] = []
    for part in full.split(separator: "/") {
      if part == "." { continue }
      if part == ".." {
        _ = parts.popLast()
      } else {
        parts.append(part)
      }
    }
    return parts
  }

  /// `path` relative to `folder` (`../x/a.png`).
  static func relative(_ path: String, from folder: String) -> String {
    let target = absolute(path)
    let base = absolute(folder)
    var common = 0
    while common < target.count, common < base.count, target[common] == base[common] { common += 1 }
    let up = Array(repeating: "..", count: base.count - common)
    return (up + target[common...].map(String.init)).joined(separator: "/")
  }

  /// True when both name one file: the same inode, or the same path when neither exists yet.
  static func sameFile(_ a: String, _ b: String) -> Bool {
    var first = stat()
    var second = stat()
    if stat(a, &first) == 0, stat(b, &second) == 0 {
      return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }
    return absolute(a) == absolute(b)
  }

  static func temporaryFolder() throws(FileError) -> String {
    let base = ShellPaths.environment("TMPDIR") ?? "/tmp"
    var template = Array("\(base)/comfysh-render-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
      guard let start = buffer.baseAddress else { return false }
      return mkdtemp(start) != nil
    }
    guard made else { throw FileError(path: base, reason: String(cString: strerror(errno))) }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Removes a folder this render made, with everything in it.
  static func removeTree(_ path: String) {
    if FileIO.kind(of: path) == .folder {
      for name in FileIO.names(in: path) { removeTree(path + "/" + name) }
      rmdir(path)
    } else {
      unlink(path)
    }
  }
}
