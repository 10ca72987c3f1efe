import ComfySim
import TestSupport
import Testing

@testable import Shell
@testable import Workflow

/// `explain`: a node, an input and its chain back to the source, a class, and the last error with the
/// command that fixes it, against the simulator.
@MainActor
@Suite struct ExplainTests {
  static let txt2img = """
    {"3": {"inputs": {"seed": 5, "steps": 20000, "cfg": 8, "sampler_name": "euler", "scheduler": "normal", "denoise": 1,
           "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}, "class_type": "KSampler"},
     "4": {"inputs": {"ckpt_name": "sim-checkpoint.safetensors"}, "class_type": "CheckpointLoaderSimple"},
     "5": {"inputs": {"width": 64, "height": 64, "batch_size": 1}, "class_type": "EmptyLatentImage"},
     "6": {"inputs": {"text": "a lighthouse", "clip": ["4", 1]}, "class_type": "CLIPTextEncode"},
     "7": {"inputs": {"text": "blurry", "clip": ["4", 1]}, "class_type": "CLIPTextEncode"},
     "8": {"inputs": {"samples": ["3", 0], "vae": ["4", 2]}, "class_type": "VAEDecode"},
     "9": {"inputs": {"filename_prefix": "explain", "images": ["8", 0]}, "class_type": "SaveImage"}}
    """

  @Test func aNodeItsInputsOutputsCachingAndPayload() async throws {
    let h = try await ServerHarness()
    _ = h.write("t.json", Self.txt2img)
    _ = await h.ok("load t.json; set 3.steps 4")
    let said = await h.ok("explain 3")
    #expect(said.hasPrefix("3  KSampler"), "\(said)")
    #expect(said.contains("free: it runs on the server's own hardware"))
    #expect(said.contains("not an output node"))
    let lines = said.split(separator: "\n").map { String($0.drop { $0 == " " }) }
    #expect(
      lines.contains {
        $0.hasPrefix("model ") && $0.hasSuffix("4:0       made by 4 CheckpointLoaderSimple (output 0, MODEL)")
      }, "\(said)")
    #expect(said.contains("0  LATENT LATENT  → 8.samples (VAEDecode)"), "\(said)")
    #expect(said.contains("next run: runs, as far as this session knows: nothing was run here yet"))
    #expect(said.contains(#"in the payload: "3": {"inputs":{"seed":5,"steps":4"#), "\(said)")
    _ = await h.ok("run; watch")
    #expect(await h.ok("explain 8").contains("next run: taken from the cache"))
    _ = await h.ok("set 3.steps 5")
    #expect(
      await h.ok("explain 8").contains(
        "next run: runs: 3 (KSampler), which it depends on: steps (4 → 5) changed since prompt"))
    #expect(await h.ok("explain 3").contains("next run: runs: steps (4 → 5) changed since prompt"))
    _ = await h.ok("seed 5.width randomize")
    #expect(
      await h.ok("explain 9").contains("runs: 5.width, which it depends on, gets a new value on every run"))
    _ = await h.ok("add EmptyImage as 20")
    #expect(await h.ok("explain 20").contains("not run: no output node needs what it makes"))
    await h.close()
  }

  @Test func anInputThreeHopsFromItsSourceAndAPaidClass() async throws {
    let h = try await ServerHarness()
    _ = await h.ok("add EmptyImage as 1; add ImageInvert as 2; add ImageInvert as 3; add SaveImage as 4")
    _ = await h.ok("link 2.image 1:0; link 3.image 2:0; link 4.images 3:0")
    let said = await h.ok("explain 4.images")
    #expect(said.contains("IMAGE (link), required — a link"), "\(said)")
    #expect(
      said.contains(
        "from its source (3 hops): 4.images ← 3:0 Invert Image via image ← 2:0 Invert Image via image ← 1:0 EmptyImage (the source: it makes the IMAGE)"
      ), "\(said)")
    #expect(said.contains(#"in the payload: "images": ["3",0]"#))
    let widget = await h.ok("explain 1.width")
    #expect(widget.contains("a widget: its value is written into the payload as it is"), "\(widget)")
    let paid = await h.ok("explain FluxProUltraImageNode")
    #expect(paid.contains("paid API node"), "\(paid)")
    #expect(paid.contains("extra_data.api_key_comfy_org"))
    #expect(paid.contains(#""class_type":"FluxProUltraImageNode""#))
    #expect(await h.fails("explain Nope").contains("is not a node, an input or a node class"))
    #expect(await h.fails("explain 1.nope").contains("has no input nope"))
    await h.close()
  }

  @Test func theLastErrorWithTheCommandThatFixesIt() async throws {
    let h = try await ServerHarness()
    #expect(await h.fails("explain").contains("nothing has failed in this session yet"))
    _ = h.write("t.json", Self.txt2img)
    _ = await h.ok("load t.json")
    _ = await h.fails("validate")
    let range = await h.ok("explain error")
    #expect(range.hasPrefix("from `validate`: the server would refuse the workflow"), "\(range)")
    #expect(range.contains("node 3 (KSampler), input steps: value_bigger_than_max"))
    #expect(range.contains("what it means: a number is outside the range the class declares"))
    #expect(range.contains("to fix: set 3.steps 10000"), "\(range)")

    _ = await h.ok("set 3.steps 4; unlink 8.vae")
    _ = await h.fails("run --no-check")
    let missing = await h.ok("explain")
    #expect(missing.hasPrefix("from `run`: the server refused the prompt"), "\(missing)")
    #expect(missing.contains("node 8 (VAEDecode), input vae: required_input_missing"))
    #expect(missing.contains("to fix: link 8.vae 4:2"), "\(missing)")

    _ = await h.ok("link 8.vae 4:2; set 9.filename_prefix ../outside; run")
    _ = await h.fails("watch")
    let failed = await h.ok("explain")
    #expect(failed.contains("node 9 (SaveImage) failed while prompt"), "\(failed)")
    #expect(failed.contains("run-time error"))
    #expect(failed.contains("to fix: set 9.filename_prefix NAME"), "\(failed)")

    _ = await h.ok("set 9.filename_prefix fine")
    #expect(await h.ok("validate").contains("valid"))
    #expect(await h.fails("explain").contains("nothing has failed"))
    await h.close()
  }
}

/// `help tutorial` names the lessons in order, and every file it names is in the repository.
@MainActor
@Suite struct TutorialHelpTests {
  @Test func helpTutorialNamesLessonsThatExist() async throws {
    let shell = ShellHarness()
    let said = await shell.ok("help tutorial")
    let root = String(String(#filePath).split(separator: "/Tests/").first ?? "")
    #expect(HelpCommand.lessons.count >= 4)
    for lesson in HelpCommand.lessons {
      #expect(said.contains(lesson.file), "\(said)")
      #expect(FileIO.exists(root + "/" + lesson.file), "\(lesson.file)")
    }
    #expect(said.contains("comfysh --sim --check FILE"))
  }
}
