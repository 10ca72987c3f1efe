import ComfyClient
import Media
import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// A progress line redrawn in place on a terminal. It is decoration: never recorded, never in
/// `--json`, and cleared before any real line is printed.
@MainActor
final class LiveLine {
  private var shown = false
  private var lastText = ""
  private var lastDraw = 0.0

  /// Draws `text`, at most every 0.1 s unless `force`.
  func show(_ text: String, force: Bool = false) {
    let now = Monotonic.now()
    guard text != lastText, force || now - lastDraw >= 0.1 else { return }
    lastText = text
    lastDraw = now
    shown = true
    TextSink.stdout.write("\r\u{1B}[2K" + TerminalText.visible(text))
  }

  func clear() {
    guard shown else { return }
    shown = false
    lastText = ""
    TextSink.stdout.write("\r\u{1B}[2K")
  }

  /// Writes the last text again (something else was drawn over its line).
  func redraw() {
    guard shown else { return }
    TextSink.stdout.write("\r\u{1B}[2K" + TerminalText.visible(lastText))
  }
}

/// Shows one prompt's run through the console: a line per node when it ends (cached, progress bar,
/// files, time), text frames, and the outcome; NDJSON objects in `--json` mode. Progress between
/// node ends is only drawn on a live terminal line, so recordings get the final lines only.
/// In the background (`watch --background`) every line is a notice tagged with the prompt's short id,
/// printed above the prompt while the user types, with progress at each quarter instead of a live line.
@MainActor
final class WatchView {
  let session: Session
  let promptID: String
  let traceback: Bool
  let background: Bool
  /// A prompt of another client: its messages go to that client's socket, so it is followed by asking
  /// /history and /queue.
  var foreign = false
  private let live: LiveLine?
  /// `watch --preview` on a terminal that draws pictures: the sampler's previews above the live line.
  private let pane: PreviewPane?
  /// `images on`: each node's final files are drawn under its line.
  private let drawsResults: Bool
  /// Files whose pictures are still to be drawn (`drawResults`).
  private var resultsToDraw: [(node: String, files: [OutputFile])] = []
  /// The end's lines wait for the pictures still to be drawn, so those stay under their nodes.
  private var heldLines: [String]?
  /// Preview frames the server sent while watching.
  private(set) var previewsSeen = 0
  private var console: Console { session.console }
  private var idWidth = 2
  private var labelWidth = 10
  private var pendingCached: [String] = []
  private var printed: Set<String> = []
  /// Indices of `tracker.texts` already printed.
  private var shownTexts: Set<Int> = []
  private var jsonDecile: [String: Int] = [:]
  private var quarterShown: [String: Int] = [:]
  private var lastPosition: Int?
  private var tracker: PromptTracker?

  init(session: Session, promptID: String, traceback: Bool, background: Bool = false, preview: Bool = false) {
    self.session = session
    self.promptID = promptID
    self.traceback = traceback
    self.background = background
    let onTerminal = session.server.liveProgress && !session.console.jsonMode && !background
    live = onTerminal ? LiveLine() : nil
    pane = onTerminal && preview && session.pictures.drawing ? PreviewPane(pictures: session.pictures) : nil
    drawsResults = !background && session.pictures.drawing && session.pictures.mode == .on
    // Asked now, if at all, not between two progress frames.
    if pane != nil || drawsResults { _ = session.pictures.decision() }
  }

  /// Handles one follow event; throws a `ShellError` when the prompt failed, was interrupted or cancelled.
  func show(_ event: FollowEvent) throws {
    switch event {
    case .snapshot(let tracker):
      self.tracker = tracker
      layout(tracker)
      if background, !tracker.isFinished { line(tracker.isStarted ? "running" : "queued") }
      replay(tracker)
      if let outcome = tracker.outcome {
        try finished(outcome, tracker)
      } else {
        drawLive()
      }
    case .update(let update, let tracker):
      self.tracker = tracker
      try apply(update, tracker)
    case .disconnected(let reason):
      let words = session.masked(reason.shellWords)
      line("  connection lost (\(words)); reconnecting…")
      emit([
        "type": "connection", "prompt_id": .string(promptID), "state": "disconnected",
        "reason": .string(words),
      ])
    case .reconnected:
      line("  reconnected")
      emit(["type": "connection", "prompt_id": .string(promptID), "state": "reconnected"])
    case .waiting(let position):
      live?.show("  waiting in the queue (position \(position))", force: true)
      if background, position != lastPosition { line("waiting in the queue (position \(position))") }
      lastPosition = position
      emit(["type": "waiting", "prompt_id": .string(promptID), "position": .int(position)])
    }
  }

  /// Ctrl-C: the prompt keeps running; say how to stop it.
  func stoppedWatching() -> ShellError {
    live?.clear()
    pane?.finish()
    return ShellError(
      "stopped watching \(promptID); it keeps running on the server: `interrupt \(promptID)` stops it")
  }

  func clearLive() {
    live?.clear()
    pane?.finish()
  }

  /// Draws the pictures of the files listed since the last call, under the lines that named them.
  func drawResults() async {
    guard !resultsToDraw.isEmpty else { return }
    let items = resultsToDraw
    resultsToDraw = []
    live?.clear()
    let hadPane = (pane?.rows ?? 0) > 0
    pane?.clear()
    for (_, files) in items {
      for file in files {
        do {
          let bytes = try await session.request {
            try await session.server.client(for: self.promptID).view(file)
          }
          session.drawMedia(bytes, name: file.path, indent: idWidth + 4)
        } catch {
          session.console.warning(
            "cannot fetch \(file.path) to show it: \(ShellError.server(error, session: session).message)")
        }
      }
    }
    if let held = heldLines {
      heldLines = nil
      for text in held { console.print(text) }
    }
    if hadPane, let tracker, !tracker.isFinished, tracker.currentNode == pane?.node { pane?.redraw() }
    drawLive()
    live?.redraw()
  }

  // MARK: - Updates

  private func apply(_ update: PromptUpdate, _ tracker: PromptTracker) throws {
    switch update {
    case .started:
      if background { line("running") }
      drawLive()
    case .cached(let ids):
      pendingCached += ids.filter { !pendingCached.contains($0) }
    case .nodeStarted:
      flushCached(tracker)
      drawLive()
    case .progress(let node, let value, let max):
      drawLive()
      if background { showQuarter(node: node, value: value, max: max, tracker) }
      guard console.jsonMode, max > 0 else { return }
      let decile = Int((min(1, value / max) * 10).rounded(.down))
      if decile != jsonDecile[node] {
        jsonDecile[node] = decile
        emit([
          "type": "progress", "prompt_id": .string(promptID), "node": .string(node), "value": .double(value),
          "max": .double(max),
        ])
      }
    case .output(let node, let files):
      // Cached output nodes and history send files for nodes whose line is already out.
      if printed.contains(node), !files.isEmpty, let run = tracker.nodes[node] {
        line(nodeLine(run, filesOnly: files))
        if drawsResults { resultsToDraw.append((node, files)) }
        emit([
          "type": "output", "prompt_id": .string(promptID), "node": .string(node),
          "files": .array(files.map { ServerFormat.fileJSON($0) }),
        ])
      }
    case .nodeEnded(let id):
      if let pane, pane.node == id { pane.finish() }
      flushCached(tracker)
      showTexts(of: id, tracker)
      if let run = tracker.nodes[id] { printNode(run) }
      drawLive()
    case .text(let node, _):
      showTexts(of: node, tracker)
    case .preview(let node, let image):
      previewsSeen += 1
      if let pane, let picture = try? ImageDecoder.decode(image.bytes),
        pane.show(picture, node: node ?? tracker.currentNode)
      {
        live?.redraw()
      }
      emit([
        "type": "preview", "prompt_id": .string(promptID), "node": node.map(JSONValue.string) ?? .null,
        "format": .string(image.format.name), "bytes": .int(image.bytes.count),
      ])
    case .reconciled:
      if foreign {
        line(
          "  (queued by another client, whose socket gets its messages: the result is from the server's history)"
        )
      } else {
        line("  (messages were missed while disconnected; the rest is from the server's history)")
      }
    case .finished(let outcome):
      flushCached(tracker)
      try finished(outcome, tracker)
    }
  }

  /// In the background: a progress line when a node passes a quarter (its end line shows 100%).
  private func showQuarter(node: String, value: Double, max: Double, _ tracker: PromptTracker) {
    guard !console.jsonMode, max > 0, let run = tracker.nodes[node] else { return }
    let quarter = Int((min(1, value / max) * 4).rounded(.down))
    guard (1...3).contains(quarter), quarter > quarterShown[node, default: 0] else { return }
    quarterShown[node] = quarter
    line(node + "  " + ServerFormat.label(run) + "  " + ServerFormat.bar(value / max))
  }

  /// The texts `node` sent that are not shown yet: watching may begin while it runs, after some came.
  private func showTexts(of node: String, _ tracker: PromptTracker) {
    for (index, entry) in tracker.texts.enumerated() where entry.node == node && !shownTexts.contains(index) {
      shownTexts.insert(index)
      showText(node: node, text: entry.text, tracker)
    }
  }

  private func showText(node: String, text: String, _ tracker: PromptTracker) {
    let name = tracker.nodes[node].map(ServerFormat.label) ?? "node \(node)"
    for part in session.masked(text).split(separator: "\n", omittingEmptySubsequences: true) {
      line("  " + node.padding(to: idWidth) + "  " + name.padding(to: labelWidth) + "  » " + part.trimmed)
    }
    emit([
      "type": "text", "prompt_id": .string(promptID), "node": .string(node),
      "text": .string(session.masked(text)),
    ])
  }

  /// What is already known when watching starts: nodes that ended, in the order they ended.
  private func replay(_ tracker: PromptTracker) {
    let ended = tracker.nodes.values.filter { $0.state != .waiting && $0.state != .running }
    // Events handled in one go (those that came before the POST's answer) share a time.
    let ordered = ended.enumerated().sorted { a, b in
      let x = a.element.endedAt ?? -1
      let y = b.element.endedAt ?? -1
      if x != y { return x < y }
      let p = a.element.endSequence ?? Int.max
      let q = b.element.endSequence ?? Int.max
      return p != q ? p < q : a.offset < b.offset
    }
    for (_, run) in ordered {
      // Text a node sent while it ran comes before its line, as when watching live.
      showTexts(of: run.id, tracker)
      printNode(run)
    }
  }

  private func flushCached(_ tracker: PromptTracker) {
    guard !pendingCached.isEmpty else { return }
    let ids = pendingCached
    pendingCached = []
    for id in ids {
      if let run = tracker.nodes[id] { printNode(run) }
    }
  }

  private func printNode(_ run: NodeRun) {
    guard !printed.contains(run.id) else { return }
    printed.insert(run.id)
    line(nodeLine(run))
    if drawsResults, !run.outputs.isEmpty { resultsToDraw.append((run.id, run.outputs)) }
    var object: JSONObject = [
      "type": "node_state", "prompt_id": .string(promptID), "node": .string(run.id),
      "class_type": run.classType.map(JSONValue.string) ?? .null,
      "title": run.title.map(JSONValue.string) ?? .null,
      "state": .string(run.state.rawValue), "seconds": run.seconds.map(JSONValue.double) ?? .null,
      "outputs": .array(run.outputs.map { ServerFormat.fileJSON($0) }),
    ]
    if let value = run.value, let max = run.max {
      object["value"] = .double(value)
      object["max"] = .double(max)
    }
    emit(object)
  }

  /// `  11  Flux 1.1 [pro] Ultra Image (FluxProUltraImageNode)  ██████████████ 100%  9.8 s`.
  private func nodeLine(_ run: NodeRun, filesOnly: [OutputFile]? = nil) -> String {
    var text =
      "  " + run.id.padding(to: idWidth) + "  " + ServerFormat.label(run).padding(to: labelWidth) + "  "
    if let files = filesOnly { return text + "→ " + ServerFormat.files(files) }
    var parts: [String] = []
    switch run.state {
    case .cached: parts.append("cached")
    case .failed: parts.append("failed")
    case .interrupted:
      parts.append(
        "interrupted" + (run.value.flatMap { v in run.max.map { " at \(Int(v))/\(Int($0))" } } ?? ""))
    default: break
    }
    if run.state == .finished, let fraction = run.fraction { parts.append(ServerFormat.bar(fraction)) }
    if !run.outputs.isEmpty {
      parts.append("→ " + ServerFormat.files(run.outputs))
    } else if run.state == .finished && run.fraction == nil {
      parts.append("done")
    }
    if run.state != .cached, let seconds = run.seconds { parts.append(ServerFormat.seconds(seconds)) }
    text += parts.joined(separator: "  ")
    return text.trimmedTrailing
  }

  private func finished(_ outcome: PromptOutcome, _ tracker: PromptTracker) throws {
    live?.clear()
    pane?.finish()
    if !resultsToDraw.isEmpty { heldLines = [] }
    session.server.endWasShown(promptID)
    let seconds = tracker.totalSeconds
    var done: JSONObject = [
      "type": "done", "prompt_id": .string(promptID), "status": .string(outcome.word),
      "seconds": seconds.map(JSONValue.double) ?? .null,
      "outputs": .array(tracker.outputs.map { ServerFormat.fileJSON($0.file, node: $0.node) }),
      "from_history": .bool(tracker.reconciledFromHistory),
    ]
    let took = seconds.map { " in " + ServerFormat.seconds($0) } ?? ""
    switch outcome {
    case .success, .ended:
      let allCached =
        !tracker.nodes.values.isEmpty
        && tracker.nodes.values.allSatisfy { $0.state == .cached || $0.state == .waiting }
        && tracker.nodes.values.contains { $0.state == .cached }
      var text = (outcome == .success ? "done" : "ended") + took
      if tracker.endUnconfirmed {
        text =
          "done\(took), as far as the WebSocket told: every node finished, but the server's history did not answer to confirm the outcome (`history \(promptID)` asks again)"
        done["unconfirmed"] = true
      }
      if allCached {
        text += " (all from the cache: the same prompt ran before; change an input or `seed … randomize`)"
      }
      line(text)
      emit(done)
    case .failed(let failure):
      session.lastProblem = .execution(failure)
      let node = tracker.nodes[failure.nodeID]
      let title = node?.title.map { " \"\($0)\"" } ?? ""
      let message = session.masked(failure.exceptionMessage).trimmedTrailing
      let first = message.split(separator: "\n").first.map { String($0).trimmed } ?? ""
      line("error in node \(failure.nodeID) (\(failure.nodeType))\(title): \(failure.exceptionType)")
      for part in message.split(separator: "\n") { line("  " + part.trimmedTrailing) }
      let inputs = inputLines(failure.currentInputs)
      if !inputs.isEmpty {
        line("inputs:")
        for input in inputs { line("  " + input) }
      }
      if traceback {
        line("traceback:")
        for frame in failure.traceback {
          for part in session.masked(frame).split(separator: "\n") { line("  " + part.trimmedTrailing) }
        }
      } else if !failure.traceback.isEmpty {
        line("(`watch \(promptID) --traceback` shows the traceback)")
      }
      var error: JSONObject = [
        "node": .string(failure.nodeID), "node_type": .string(failure.nodeType),
        "exception_type": .string(failure.exceptionType), "message": .string(message),
        "inputs": session.masked(.object(failure.currentInputs)),
      ]
      if traceback { error["traceback"] = .array(failure.traceback.map { .string(session.masked($0)) }) }
      done["error"] = .object(error)
      emit(done)
      throw ShellError(
        "prompt \(promptID) failed: node \(failure.nodeID) (\(failure.nodeType)) raised \(failure.exceptionType): \(first)"
      )
    case .interrupted(let stop):
      let at = stop.nodeID.map { id in " at node \(id)" + (stop.nodeType.map { " (\($0))" } ?? "") } ?? ""
      line("interrupted\(at)\(took)")
      done["node"] = stop.nodeID.map(JSONValue.string) ?? .null
      emit(done)
      throw ShellError("prompt \(promptID) was interrupted\(at); its outputs are incomplete")
    case .cancelled:
      line("cancelled before it ran")
      emit(done)
      throw ShellError("prompt \(promptID) was cancelled (removed from the queue before it ran)")
    }
  }

  /// `name: value` per input the failing node had, values shortened and keys masked.
  private func inputLines(_ inputs: JSONObject) -> [String] {
    inputs.compactMap { name, value in
      let shown: JSONValue =
        Secrets.isSensitiveName(name) ? Secrets.masked([name: value])[name] ?? .null : session.masked(value)
      let first = shown.arrayValue?.count == 1 ? shown.arrayValue?[0] ?? shown : shown
      var text = first.stringValue ?? first.serialized()
      text = text.split(separator: "\n").map { $0.trimmed }.joined(separator: " ")
      if text.count > 80 { text = String(text.prefix(79)) + "…" }
      return "\(name): \(text)"
    }
  }

  // MARK: - Output

  private func layout(_ tracker: PromptTracker) {
    idWidth = max(1, tracker.nodes.values.map(\.id.count).max() ?? 1)
    labelWidth = min(44, max(10, tracker.nodes.values.map { ServerFormat.label($0).count }.max() ?? 10))
  }

  private func drawLive() {
    guard let live, let tracker, !tracker.isFinished else { return }
    guard let id = tracker.currentNode, let run = tracker.nodes[id] else {
      live.show(tracker.isStarted ? "  running…" : "  queued…")
      return
    }
    var text = "  " + id.padding(to: idWidth) + "  " + ServerFormat.label(run).padding(to: labelWidth) + "  "
    if let fraction = run.fraction {
      text += ServerFormat.bar(fraction)
    } else {
      text += "running"
    }
    if let started = run.startedAt { text += "  " + ServerFormat.seconds(Monotonic.now() - started) }
    live.show(text)
  }

  private func line(_ text: String) {
    if background {
      console.notice("[\(promptID.prefix(8))] " + text.trimmed)
      return
    }
    if heldLines != nil {
      heldLines?.append(text)
      return
    }
    live?.clear()
    let hadPane = (pane?.rows ?? 0) > 0
    pane?.clear()
    console.print(text)
    // A line printed while the sampler runs: its preview comes back under the line.
    if hadPane, let tracker, !tracker.isFinished, tracker.currentNode == pane?.node { pane?.redraw() }
  }

  private func emit(_ object: JSONObject) {
    console.emit(object)
  }
}

extension StringProtocol {
  var trimmed: String {
    String(drop { $0 == " " || $0 == "\t" }).trimmedTrailing
  }

  var trimmedTrailing: String {
    var text = String(self)
    while let last = text.last, last == " " || last == "\t" || last == "\n" || last == "\r" {
      text.removeLast()
    }
    return text
  }
}
