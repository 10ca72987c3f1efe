import Foundation
import TestSupport
import Testing

@testable import Workflow

/// `comfysh --record FILE --keep-outputs` and `comfysh render`, on the built binary.
@Suite(.timeLimit(.minutes(2))) struct RenderInvocationTests {
  @Test func aSessionRecordedWithItsOutputsRendersWithoutTheServer() async throws {
    let folder = Binary.temporaryFolder()
    let recorded = try await Binary.run(
      [
        "--no-init", "--sim", "--record", "s.comfy", "--keep-outputs", "-c",
        "new; add EmptyImage as 1 width=8 height=8 color=255; add SaveImage as 2; link 2.images 1:0; run; watch",
      ], in: folder)
    #expect(recorded.status == 0, "\(recorded.stderr)")
    let script = try String(contentsOfFile: folder + "/s.comfy", encoding: .utf8)
    #expect(script.contains("\n#@ output "), "\(script)")
    #expect(script.contains(" 2 output/ComfyUI_00001_.png -> s.outputs/ComfyUI_00001_.png\n"), "\(script)")
    #expect(FileManager.default.fileExists(atPath: folder + "/s.outputs/ComfyUI_00001_.png"))

    let closed = try ClosedPort()
    let rendered = try await Binary.run(
      ["render", "s.comfy", "--server", "http://127.0.0.1:\(closed.port)"], in: folder)
    #expect(rendered.status == 0, "\(rendered.stderr)")
    #expect(rendered.stdout == "wrote s.html: 6 commands, 1 picture\n", "\(rendered.stdout)")
    let html = try String(contentsOfFile: folder + "/s.html", encoding: .utf8)
    #expect(html.contains("src=\"data:image/png;base64,"))
  }

  @Test(arguments: [
    (["render"], "comfysh render needs a recorded session"),
    (["render", "a.comfy", "--html", "--md"], "--html and --md exclude each other"),
    (
      ["render", "a.comfy", "--sim", "--server", "http://127.0.0.1:1"],
      "--sim and --server exclude each other"
    ),
    (["render", "a.comfy", "--bogus"], "unknown option --bogus for comfysh render"),
    (["--keep-outputs", "-c", "echo"], "--keep-outputs goes with --record FILE"),
    (["render", "missing.comfy"], "cannot read the session missing.comfy"),
  ])
  func unusableRenderCommandLinesSayWhy(arguments: [String], message: String) async throws {
    let result = try await Binary.run(arguments, in: Binary.temporaryFolder())
    #expect(result.status == 2)
    #expect(result.stderr.contains(message), "\(result.stderr)")
  }

  @Test func theHelpNamesRender() async throws {
    let folder = Binary.temporaryFolder()
    let help = try await Binary.run(["--help"], in: folder)
    #expect(help.stdout.contains("comfysh render SESSION.comfy [--html | --md] [-o FILE] [--replay]"))
    #expect(help.stdout.contains("--keep-outputs"))
    let renderHelp = try await Binary.run(["render", "--help"], in: folder)
    #expect(renderHelp.status == 0)
    #expect(renderHelp.stdout.contains("Turns a recorded session into a page"))
  }
}
