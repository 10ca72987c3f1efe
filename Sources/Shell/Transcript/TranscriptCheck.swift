import Workflow

/// `--check` and `--update`: replays a recorded transcript, compares each command's output with its
/// `#> ` lines, and prints a unified diff of what differs (or rewrites the file with the new output).
@MainActor
public enum TranscriptCheck {
  public static func run(path: String, update: Bool, interpreter: Interpreter) async -> Int32 {
    let session = interpreter.session
    let console = session.console
    let text: String
    do {
      text = try FileIO.readText(path)
    } catch {
      console.error("cannot read the transcript \(path): \(error.reason)")
      return 2
    }
    let transcript: Transcript
    do {
      transcript = try Transcript(text: text)
    } catch {
      console.error(error.message, location: "\(path):\(error.line)")
      return 2
    }
    // Errors are recorded as `error: …` without FILE:LINE, which would change as --update adds lines.
    interpreter.sourceName = nil
    interpreter.keepGoing = true
    session.baseFolder = FileIO.parentFolder(of: path)

    var outputs: [[String]] = []
    var differing = 0
    var report: [String] = []
    for entry in transcript.entries {
      if session.quitRequested { break }
      console.muted = true
      console.beginCapture()
      await interpreter.run([entry.statement])
      let actual = console.endCapture()
      console.muted = false
      // Lines that still match keep their recorded form (patterns and volatile values stay as written).
      let kept = keepMatchingLines(expected: entry.expected, actual: actual)
      outputs.append(kept)
      if !linesMatch(entry.expected, actual) {
        differing += 1
        report += diffReport(entry: entry, actual: actual, file: FileIO.baseName(of: path))
      }
    }
    console.flush()
    let name = FileIO.baseName(of: path)
    let count = Render.plural(transcript.entries.count, "command")
    let missingKept = missingKeptFiles(transcript, folder: FileIO.parentFolder(of: path), file: name)
    if update {
      for line in missingKept { console.warning(line) }
    }
    if update {
      let rewritten = transcript.rewritten(with: outputs)
      if rewritten != text {
        do {
          try FileIO.writeAtomically(path, text: rewritten)
        } catch {
          console.error("cannot update \(path): \(error.reason)")
          return 2
        }
      }
      console.result(
        "updated \(name): \(count), \(Render.plural(differing, "output")) changed",
        json: [
          "type": "update", "file": .string(path), "commands": .int(transcript.entries.count),
          "changed": .int(differing),
        ])
      return 0
    }
    if !missingKept.isEmpty {
      console.print(lines: report + missingKept)
      console.error(
        "\(name): \(Render.plural(missingKept.count, "kept output")) missing (record again with --keep-outputs, or delete their #@ output lines)"
          + (differing > 0 ? "; and \(differing) of \(count) differ" : ""))
      return 1
    }
    if differing == 0 {
      console.result(
        "\(name): \(count), all outputs match",
        json: [
          "type": "check", "file": .string(path), "commands": .int(transcript.entries.count), "differing": 0,
        ])
      return 0
    }
    if console.jsonMode {
      console.emit([
        "type": "check", "file": .string(path), "commands": .int(transcript.entries.count),
        "differing": .int(differing),
        "diff": .string(report.joined(separator: "\n")),
      ])
    } else {
      console.print(lines: report)
      console.print(
        "\(name): \(differing) of \(count) differ (comfysh --update \(path) accepts the new output)")
    }
    return 1
  }

  /// The `#@ output` lines (from `record --keep-outputs`) whose kept file is gone, or that cannot be
  /// read, as report lines: a replay compares outputs, and the files a page needs must still be there.
  static func missingKeptFiles(_ transcript: Transcript, folder: String, file: String) -> [String] {
    var lines: [String] = []
    for (index, line) in transcript.lines.enumerated() where KeptOutput.isAnnotation(line) {
      do {
        let kept = try KeptOutput.parse(line)
        let local = FileIO.resolve(kept.localPath, relativeTo: folder)
        if !FileIO.exists(local) || FileIO.isFolder(local) {
          lines.append(
            "\(file):\(index + 1): the kept output \(kept.localPath) (\(kept.serverPath) of prompt \(kept.promptID)) is missing"
          )
        }
      } catch {
        lines.append("\(file):\(index + 1): an unreadable #@ output line: \(error.reason)")
      }
    }
    return lines
  }

  static func linesMatch(_ expected: [String], _ actual: [String]) -> Bool {
    expected.count == actual.count
      && zip(expected, actual).allSatisfy { OutputMatcher.matches(expected: $0, actual: $1) }
  }

  /// The new output, except that a line matching its recorded counterpart keeps the recorded text.
  static func keepMatchingLines(expected: [String], actual: [String]) -> [String] {
    let pairs = LineDiff.align(expected, actual, equal: OutputMatcher.matches)
    return pairs.compactMap { pair in
      switch pair {
      case .same(let e, _): e
      case .removed: nil
      case .added(let a): a
      }
    }
  }

  /// `--- demo.comfy:12 (recorded)` / `+++ (now)`, the command, then `-`/`+`/` ` lines.
  static func diffReport(entry: Transcript.Entry, actual: [String], file: String) -> [String] {
    var lines = [
      "--- \(file):\(entry.statement.line) \(entry.statement.source.oneLine) (recorded)",
      "+++ \(file):\(entry.statement.line) (now)",
      "@@ -1,\(entry.expected.count) +1,\(actual.count) @@",
    ]
    for pair in LineDiff.align(entry.expected, actual, equal: OutputMatcher.matches) {
      switch pair {
      case .same(_, let a): lines.append(" " + a)
      case .removed(let e): lines.append("-" + e)
      case .added(let a): lines.append("+" + a)
      }
    }
    return lines
  }
}

/// A line diff by longest common subsequence, for small outputs.
enum LineDiff {
  enum Pair: Equatable {
    case same(String, String)
    case removed(String)
    case added(String)
  }

  static func align(_ a: [String], _ b: [String], equal: (String, String) -> Bool) -> [Pair] {
    let n = a.count
    let m = b.count
    // lcs[i][j] = LCS length of a[i...] and b[j...]
    var lcs = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
    if n > 0 && m > 0 {
      for i in stride(from: n - 1, through: 0, by: -1) {
        for j in stride(from: m - 1, through: 0, by: -1) {
          lcs[i][j] = equal(a[i], b[j]) ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
        }
      }
    }
    var result: [Pair] = []
    var i = 0
    var j = 0
    while i < n && j < m {
      if equal(a[i], b[j]) {
        result.append(.same(a[i], b[j]))
        i += 1
        j += 1
      } else if lcs[i + 1][j] >= lcs[i][j + 1] {
        result.append(.removed(a[i]))
        i += 1
      } else {
        result.append(.added(b[j]))
        j += 1
      }
    }
    while i < n {
      result.append(.removed(a[i]))
      i += 1
    }
    while j < m {
      result.append(.added(b[j]))
      j += 1
    }
    return result
  }
}
