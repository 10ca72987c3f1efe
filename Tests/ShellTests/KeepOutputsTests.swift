import ComfyClient
import ComfySim
import Media
import TestSupport
import Testing

@testable import Shell
@testable import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// `record FILE --keep-outputs`: the files of finished prompts beside the recording, the `#@ output`
/// lines that say where each came from, and what a replay makes of them.
@MainActor
struct KeepOutputsTests {
  @Test func keptOutputLinesReadBackWhatWasWritten() throws {
    let plain = KeptOutput(
      promptID: "08c130bb-02dd-4065-87a2-a855c955df02", node: "3", serverPath: "output/tutorial_00001_.png",
      localPath: "tutorial.outputs/tutorial_00001_.png")
    #expect(
      plain.line
        == "#@ output 08c130bb-02dd-4065-87a2-a855c955df02 3 output/tutorial_00001_.png -> tutorial.outputs/tutorial_00001_.png"
    )
    #expect(try KeptOutput.parse(plain.line) == plain)
    let odd = KeptOutput(
      promptID: "p1", node: "12:3", serverPath: "temp/sub dir/a \"b\".png", localPath: "s.outputs/a (1).png")
    #expect(odd.line.contains(#""temp/sub dir/a \"b\".png" -> "s.outputs/a (1).png""#))
    #expect(try KeptOutput.parse(odd.line) == odd)
    #expect(odd.serverFile == ("temp", "sub dir", "a \"b\".png"))
    #expect(KeptOutput.promptWithoutFiles(KeptOutput.noFilesLine(promptID: "p2")) == "p2")
    for bad in [
      "#@ output p1 3 output/a.png", "#@ output p1 3 output/a.png => x.png", "#@ output p1 3 a -> /abs.png",
    ] {
      #expect(throws: KeptOutput.LineError.self) { try KeptOutput.parse(bad) }
    }
  }

  // MARK: - Against the simulator

  /// Records `run`, `watch` twice (the second answered from the cache) and an echo of markup, keeping outputs.
  static func recordKeepingOutputs(_ h: ServerHarness) async throws -> String {
    #expect(
      await h.ok("record session.comfy --keep-outputs")
        == "recording to session.comfy · outputs kept in session.outputs/\n")
    await h.loadBasic(color: 0x3366CC)
    _ = await h.ok("echo \"<b>tom & jerry</b>\"")
    _ = await h.ok("run")
    _ = await h.ok("watch")
    _ = await h.ok("run")
    _ = await h.ok("watch")
    _ = await h.ok("record stop")
    return try #require(h.shell.read("session.comfy"))
  }

  @Test func recordKeepsTheOutputsBesideTheRecordingAndSaysSo() async throws {
    let h = try await ServerHarness()
    let recorded = try await Self.recordKeepingOutputs(h)
    let lines = recorded.split(separator: "\n").map(String.init)
    let annotations = lines.filter(KeptOutput.isAnnotation)
    #expect(annotations.count == 2, "\(recorded)")
    let kept = try annotations.map(KeptOutput.parse)
    #expect(
      kept.map(\.localPath) == ["session.outputs/shell_00001_.png", "session.outputs/shell_00001_.png"])
    #expect(kept.map(\.serverPath) == ["output/shell_00001_.png", "output/shell_00001_.png"])
    #expect(kept.map(\.node) == ["3", "3"])
    #expect(Set(kept.map(\.promptID)).count == 2)
    // Each comes right after the `watch` that showed its prompt's end, below its output lines.
    for annotation in annotations {
      let index = try #require(lines.firstIndex(of: annotation))
      let command = try #require(lines[..<index].last { !$0.hasPrefix("#") })
      #expect(command == "watch", "\(recorded)")
      #expect(lines[index - 1].hasPrefix("#> ") || KeptOutput.isAnnotation(lines[index - 1]))
    }
    #expect(FileIO.names(in: h.shell.folder + "/session.outputs") == ["shell_00001_.png"])
    let file = OutputFile(filename: "shell_00001_.png")
    let onServer = try await h.session.server.client.view(file)
    #expect(try FileIO.read(h.shell.folder + "/session.outputs/shell_00001_.png") == onServer)

    // A replay with --check keeps passing, and the #@ lines are comments to it.
    let check = try await ServerHarness()
    #expect(
      await TranscriptCheck.run(
        path: h.shell.folder + "/session.comfy", update: false, interpreter: check.shell.interpreter) == 0,
      "\(check.output.stdout)\(check.output.stderr)")
    // --update keeps them where they were.
    #expect(
      await TranscriptCheck.run(
        path: h.shell.folder + "/session.comfy", update: true, interpreter: check.shell.interpreter) == 0)
    let updated = try #require(h.shell.read("session.comfy"))
    #expect(
      updated.split(separator: "\n").filter { KeptOutput.isAnnotation(String($0)) }.map(String.init)
        == annotations)
    // A kept file that is gone fails the check, naming the line.
    unlink(h.shell.folder + "/session.outputs/shell_00001_.png")
    let again = try await ServerHarness()
    #expect(
      await TranscriptCheck.run(
        path: h.shell.folder + "/session.comfy", update: false, interpreter: again.shell.interpreter) == 1)
    #expect(
      again.output.stdout.contains(
        "the kept output session.outputs/shell_00001_.png (output/shell_00001_.png of prompt"),
      "\(again.output.stdout)")
    #expect(again.output.stderr.contains("2 kept outputs missing"), "\(again.output.stderr)")
    await check.close()
    await again.close()
    await h.close()
  }

  @Test func aKeyInAFileNameReachesNeitherTheRecordingNorTheFolder() async throws {
    let h = try await ServerHarness()
    let key = "comfyui-5ec7" + String(repeating: "d00d", count: 14) + "e7e7"
    await h.loadBasic(prefix: key)
    _ = await h.ok("record session.comfy --keep-outputs")
    _ = await h.ok("run")
    _ = await h.ok("watch")
    _ = await h.ok("record stop")
    let recorded = try #require(h.shell.read("session.comfy"))
    #expect(!recorded.contains("d00dd00d"), "\(recorded)")
    let names = FileIO.names(in: h.shell.folder + "/session.outputs")
    #expect(names.count == 1)
    #expect(!names.joined().contains("d00dd00d"), "\(names)")
    let kept = try KeptOutput.parse(
      try #require(recorded.split(separator: "\n").map(String.init).first(where: KeptOutput.isAnnotation)))
    #expect(FileIO.exists(h.shell.folder + "/" + kept.localPath), "\(kept.localPath)")
    await h.close()
  }

  @Test func aFailedDownloadIsAWarningAndTheRecordingGoesOn() async throws {
    let h = try await ServerHarness()
    await h.loadBasic()
    _ = await h.ok("record session.comfy --keep-outputs")
    _ = await h.ok("run")
    // The folder's place is taken by a file: nothing can be kept there.
    _ = h.write("session.outputs", "in the way")
    _ = await h.ok("watch")
    #expect(
      h.output.stderr.contains("warning: could not keep output/shell_00001_.png of prompt"),
      "\(h.output.stderr)")
    _ = await h.ok("echo after")
    _ = await h.ok("record stop")
    let recorded = try #require(h.shell.read("session.comfy"))
    #expect(recorded.contains("watch\n#>"))
    #expect(recorded.hasSuffix("echo after\n#> after\n"))
    #expect(!recorded.contains("#@ output"))
    await h.close()
  }
}
