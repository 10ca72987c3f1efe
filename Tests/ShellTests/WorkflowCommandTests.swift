import Media
import TestSupport
import Testing

@testable import Shell
@testable import Workflow

@MainActor
@Suite struct WorkflowCommandTests {
  @Test func loadAndSaveUneditedIsByteIdentical() async throws {
    let h = ShellHarness()
    await h.loadSeed()
    _ = await h.ok("save -f copy.json")
    #expect(h.read("copy.json") == ShellHarness.seedWorkflow)
    #expect(!h.session.document.isDirty)
  }

  @Test func loadReportsNodesAndFormat() async {
    let h = ShellHarness()
    _ = h.write("seed.json", ShellHarness.seedWorkflow)
    let out = await h.ok("load seed.json")
    #expect(out == "loaded seed.json · 3 nodes · API format\n")
    #expect(h.session.promptText == "comfy seed.json> ")
  }

  @Test func loadFailures() async {
    let h = ShellHarness()
    #expect(await h.fails("load missing.json").contains("cannot read"))
    _ = h.write("bad.json", "{\"1\": {\"class_type\": \"X\",}")
    #expect(await h.fails("load bad.json").contains("not valid JSON"))
    _ = h.write("list.json", "[1, 2]")
    #expect(await h.fails("load list.json").contains("JSON object of nodes"))
    _ = h.write("node.json", #"{"1": 5}"#)
    #expect(await h.fails("load node.json").contains("node 1 is a number"))
    #expect(await h.fails("load").contains("usage: load FILE"))
    let plain = PNGChunks.write([
      PNGChunks.Chunk(type: "IHDR", data: [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]),
      .init(type: "IEND", data: []),
    ])
    try? FileIO.writeAtomically(h.folder + "/plain.png", plain)
    #expect(await h.fails("load plain.png").contains("PNG without a ComfyUI prompt"))
  }

  @Test func loadsPromptFromPNGTextChunk() async throws {
    let h = ShellHarness()
    let prompt = #"{"1": {"inputs": {"width": 64}, "class_type": "EmptyImage"}}"#
    let png = PNGChunks.write([
      .init(type: "IHDR", data: [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]),
      PNGChunks.textChunk(key: "prompt", text: prompt),
      PNGChunks.textChunk(key: "workflow", text: #"{"nodes": [], "links": []}"#),
      .init(type: "IEND", data: []),
    ])
    try FileIO.writeAtomically(h.folder + "/out.png", png)
    #expect(await h.ok("load out.png") == "loaded out.png · 1 node · PNG (with its UI workflow)\n")
    #expect(h.session.document.current.uiWorkflow != nil)
    #expect(await h.fails("save").contains("save out.api.json"))
    _ = await h.ok("save out.api.json")
    #expect(h.read("out.api.json")?.contains("\"width\": 64") == true)
  }

  @Test(needsFixtures) func loadsFixturePNG() async throws {
    let h = ShellHarness()
    let out = await h.ok("load \(Fixtures.path("exec/basic-output.png"))")
    #expect(out.contains("3 nodes · PNG (with its UI workflow)"))
    #expect(h.session.workflow["2"]?.classType == "ImageInvert")
  }

  @Test func nodesListsIdClassTitle() async {
    let h = ShellHarness()
    await h.loadSeed()
    #expect(
      await h.ok("nodes") == """
          11  FluxProUltraImageNode  "Flux 1.1 [pro] Ultra Image"
          12  SaveImage              "Save Image"
          14  LoadImage              "Load Image"

        """)
    #expect(await h.ok("nodes save") == "  12  SaveImage  \"Save Image\"\n")
    #expect(await h.ok("new; nodes").contains("the workflow is empty"))
  }

  @Test func showGivesInputsLinksAndConsumers() async {
    let h = ShellHarness()
    await h.loadSeed()
    let out = await h.ok("show 11")
    #expect(out.contains("seed                   589991183902375"))
    #expect(out.contains("image_prompt           ← 14:0  Load Image"))
    #expect(out.contains("used by: 12.images (output 0)"))
    #expect(await h.fails("show 13").contains("there is no node 13 (did you mean 11?)"))
  }

  @Test func getPrintsValuesExactly() async {
    let h = ShellHarness()
    await h.loadSeed()
    #expect(await h.ok("get 11.seed") == "589991183902375\n")
    #expect(await h.ok("get 11.image_prompt_strength") == "0.4000000000000001\n")
    #expect(await h.ok("get 11.prompt") == "\"A dreamy portrait\"\n")
    #expect(await h.ok("get @\"Save Image\".images") == "11:0\n")
    #expect(await h.fails("get 11.sede").contains("did you mean seed?"))
    #expect(await h.fails("get 11").contains("NODE.INPUT"))
  }

  @Test func setKeepsNumberTextAndQuoting() async throws {
    let h = ShellHarness()
    await h.loadSeed()
    _ = await h.ok("set 11.seed 18446744073709551615")
    #expect(
      h.session.workflow["11"]?.input("seed")
        == .value(.number(JSONNumber(uncheckedText: "18446744073709551615"))))
    _ = await h.ok("set 11.prompt \"a lighthouse at dusk, film grain\"")
    #expect(h.session.workflow["11"]?.input("prompt") == .value("a lighthouse at dusk, film grain"))
    _ = await h.ok("set 11.prompt '42'")
    #expect(h.session.workflow["11"]?.input("prompt") == .value("42"))
    _ = await h.ok("set 11.raw true")
    #expect(h.session.workflow["11"]?.input("raw") == .value(true))
    _ = await h.ok("set 11.aspect_ratio 16:9")
    #expect(h.session.workflow["11"]?.input("aspect_ratio") == .value("16:9"))
    _ = await h.ok("set 11.prompt \"line\\nbreak \\u00e9\"")
    #expect(h.session.workflow["11"]?.input("prompt") == .value("line\nbreak é"))
    #expect(h.session.document.isDirty)
    #expect(h.session.promptText == "comfy seed.json*> ")
  }

  @Test func setListValuesAreWrappedAndPairsAreLinks() async throws {
    let h = ShellHarness()
    await h.loadSeed()
    _ = await h.ok("set --new 12.sizes [512, 768, 1024]")
    #expect(h.session.workflow["12"]?.inputs["sizes"] == ["__value__": [512, 768, 1024]])
    #expect(h.session.workflow["12"]?.input("sizes") == .value([512, 768, 1024]))
    _ = await h.ok(#"set 12.images ["14", 0]"#)
    #expect(h.session.workflow["12"]?.input("images") == .link(node: "14", slot: 0))
    #expect(await h.fails("set 12.images [14, 0]").contains(#"["14", 0]"#))
    #expect(await h.fails(#"set 12.images ["99", 0]"#).contains("there is no node 99"))
  }

  @Test func setReadsFiles() async {
    let h = ShellHarness()
    await h.loadSeed()
    _ = h.write("prompt.txt", "a long prompt\nover lines\n")
    _ = await h.ok("set 11.prompt @prompt.txt")
    #expect(h.session.workflow["11"]?.input("prompt") == .value("a long prompt\nover lines"))
    #expect(await h.fails("set 11.prompt @nope.txt").contains("cannot read @nope.txt"))
    _ = await h.ok("set 11.prompt \"@nope.txt\"")
    #expect(h.session.workflow["11"]?.input("prompt") == .value("@nope.txt"))
  }

  @Test func setFailures() async {
    let h = ShellHarness()
    await h.loadSeed()
    #expect(await h.fails("set 11.sede 42").contains("did you mean seed?"))
    #expect(await h.fails("set 13.seed 42").contains("there is no node 13"))
    #expect(
      await h.fails("set 11.prompt a lighthouse").contains(
        #"quote text with spaces: set 11.prompt "a lighthouse""#))
    #expect(await h.fails("set 11.seed").contains("usage: set"))
    #expect(await h.fails("set 11.seed [1, 2").contains("not closed"))
    #expect(await h.fails("set 11.seed {\"a\" 1}").contains("not valid JSON"))
    #expect(await h.fails("set @Nope.seed 1").contains("no node has the title"))
    #expect(await h.fails("set 11.unknown 1").contains("set --new 11.unknown"))
  }

  @Test func linkAndUnlink() async {
    let h = ShellHarness()
    await h.loadSeed()
    _ = await h.ok("add SaveImage as 20")
    _ = await h.ok("link 20.images 11:0")
    #expect(h.session.workflow["20"]?.input("images") == .link(node: "11", slot: 0))
    _ = await h.ok("link 20.images @\"Load Image\":0")
    #expect(h.session.workflow["20"]?.input("images") == .link(node: "14", slot: 0))
    #expect(await h.fails("link 14.image 20:0").contains("would make a cycle (20 depends on 14)"))
    _ = await h.ok("unlink 20.images")
    #expect(h.session.workflow["20"]?.input("images") == nil)
    #expect(await h.fails("unlink 11.seed").contains("is not linked"))
    #expect(await h.fails("link 11.image_prompt 11:0").contains("cycle"))
    #expect(await h.fails("link 11.image_prompt 99:0").contains("there is no node 99"))
    #expect(await h.fails("link 11.image_prompt 14:IMAGE").contains("output names need the node catalog"))
    #expect(await h.fails("link 11.image_prompt 14").contains("NODE:SLOT"))
  }

  @Test func linkToSubgraphIDsSplitsAtTheLastColon() async {
    let h = ShellHarness()
    _ = h.write(
      "sub.json",
      #"{"194:45": {"inputs": {}, "class_type": "A"}, "12": {"inputs": {"images": ["194:45", 0]}, "class_type": "SaveImage"}}"#
    )
    _ = await h.ok("load sub.json")
    _ = await h.ok("link 12.images 194:45:1")
    #expect(h.session.workflow["12"]?.input("images") == .link(node: "194:45", slot: 1))
    #expect(
      await h.fails("link 12.images 194:45").contains("node 194 has no output 45 (did you mean 194:45:0?)"))
  }

  @Test func addRmAndForce() async {
    let h = ShellHarness()
    await h.loadSeed()
    #expect(
      await h.ok("add SaveImage filename_prefix=out images=[\"11\",0]")
        == "added 15  SaveImage  \"SaveImage\"\n")
    #expect(h.session.workflow["15"]?.input("filename_prefix") == .value("out"))
    #expect(h.session.workflow["15"]?.input("images") == .link(node: "11", slot: 0))
    #expect(await h.fails("add SaveImage as 15").contains("already a node 15"))
    #expect(await h.fails("add").contains("usage: add"))
    #expect(await h.fails("add X bad").contains("not NAME=VALUE"))
    let refusal = await h.fails("rm 11")
    #expect(refusal.contains("node 11 is used by 12.images, 15.images"))
    #expect(refusal.contains("rm --force 11"))
    #expect(
      await h.ok("rm --force 11")
        == "removed 11  FluxProUltraImageNode  \"Flux 1.1 [pro] Ultra Image\" and unlinked 12.images, 15.images\n"
    )
    #expect(h.session.workflow["11"] == nil)
    #expect(h.session.workflow["12"]?.input("images") == nil)
    _ = await h.ok("rm 15")
    #expect(await h.fails("rm 15").contains("there is no node 15"))
  }

  @Test func titlesAddressNodes() async {
    let h = ShellHarness()
    await h.loadSeed()
    _ = await h.ok("title 12 \"Final image\"")
    #expect(h.session.workflow["12"]?.title == "Final image")
    _ = await h.ok("set @\"final IMAGE\".filename_prefix x")
    #expect(h.session.workflow["12"]?.input("filename_prefix") == .value("x"))
    _ = await h.ok("title 14 \"Final image\"")
    #expect(
      await h.fails("set @\"Final image\".filename_prefix y").contains(
        "ambiguous: nodes 12 (SaveImage), 14 (LoadImage)"))
    #expect(await h.fails("title 12 a b").contains("quote it"))
  }

  @Test func jsonPrintsAPIFormat() async {
    let h = ShellHarness()
    await h.loadSeed()
    #expect(await h.ok("json") == ShellHarness.seedWorkflow)
    #expect(
      await h.ok("json 14")
        == "{\n  \"14\": {\n    \"inputs\": {\n      \"image\": \"example.png\"\n    },\n    \"class_type\": \"LoadImage\",\n    \"_meta\": {\n      \"title\": \"Load Image\"\n    }\n  }\n}\n"
    )
  }

  @Test func diffShowsPerNodePerInputChanges() async {
    let h = ShellHarness()
    await h.loadSeed()
    #expect(await h.ok("diff") == "no changes against seed.json\n")
    _ = await h.ok("set 11.seed 42; title 12 Out; add PreviewImage as 30; rm --force 14")
    #expect(
      await h.ok("diff") == """
        changes against seed.json:
        - 14  LoadImage  "Load Image"
        ~ 11  FluxProUltraImageNode  "Flux 1.1 [pro] Ultra Image"
            seed: 589991183902375 → 42
          - image_prompt = 14:0
        ~ 12  SaveImage  "Out"
            title: "Save Image" → "Out"
        + 30  PreviewImage  "PreviewImage"

        """)
    _ = h.write("other.json", ShellHarness.seedWorkflow)
    #expect(await h.ok("diff other.json").hasPrefix("changes against other.json:"))
    #expect(await h.fails("diff nothere.json").contains("cannot read"))
  }

  @Test func saveRefusesToOverwriteOtherFilesAndFormats() async {
    let h = ShellHarness()
    await h.loadSeed()
    _ = h.write("taken.json", "{}")
    #expect(await h.fails("save taken.json").contains("save -f taken.json"))
    #expect(h.read("taken.json") == "{}")
    _ = await h.ok("save -f taken.json")
    #expect(h.session.document.current.name == "taken.json")
    _ = await h.ok("set 11.seed 1; save")
    #expect(h.read("taken.json")?.contains("\"seed\": 1,") == true)
    _ = await h.ok("new")
    #expect(await h.fails("save").contains("save FILE.json"))
    #expect(await h.fails("save /nonexistent-dir/x.json").contains("cannot write"))
  }

  @Test func quitStopsTheRun() async {
    let h = ShellHarness()
    _ = await h.run("echo a; quit; echo b")
    #expect(h.output.stdout == "a\n")
  }

  @Test func unknownCommandsSuggest() async {
    let h = ShellHarness()
    #expect(await h.fails("sett 11.seed 1").contains("unknown command sett (did you mean set?)"))
    #expect(await h.fails("frobnicate").contains("`help` lists the commands"))
  }

  @Test func helpCoversEveryCommand() async {
    let h = ShellHarness()
    let all = await h.ok("help")
    for command in CommandRegistry.all {
      #expect(all.contains(command.usage), "\(command.name) missing from help")
      let one = await h.ok("help \(command.name)")
      #expect(one.contains("usage: \(command.usage)"))
      #expect(one.contains("example: \(command.example)"))
      #expect(!command.summary.isEmpty)
    }
    #expect(await h.fails("help nope").contains("unknown command"))
  }

  @Test func variablesAndLoops() async {
    let h = ShellHarness()
    await h.loadSeed()
    #expect(await h.ok("let s = 5; for x in 1 2 { echo $x $s }") == "1 5\n2 5\n")
    _ = await h.ok("let seeds = \"7 8 9\"; for s in $seeds { set 11.seed $s }")
    #expect(h.session.workflow["11"]?.input("seed") == .value(9))
    #expect(await h.fails("let 1x = 2").contains("cannot be a variable name"))
    #expect(await h.fails("let x 2").contains("let NAME = VALUE"))
  }

  @Test func scriptFailuresNameTheLine() async {
    let h = ShellHarness(sourceName: "demo.comfy")
    await h.loadSeed()
    h.output.clear()
    let ok = await h.interpreter.run(text: "set 11.seed 1\n\nset 11.sede 2\nset 11.seed 3", firstLine: 1)
    #expect(!ok)
    #expect(h.output.stderr.contains("\ndemo.comfy:3: set 11.sede 2: node 11"))
    #expect(h.session.workflow["11"]?.input("seed") == .value(1))
  }

  @Test func keepGoingRunsTheRest() async {
    let h = ShellHarness(sourceName: "s")
    h.interpreter.keepGoing = true
    _ = await h.run("echo a\nnope\necho b")
    #expect(h.output.stdout == "a\nb\n")
    #expect(h.interpreter.failures == 1)
  }

  @Test func jsonModeEmitsObjects() async throws {
    let h = ShellHarness(json: true)
    _ = h.write("seed.json", ShellHarness.seedWorkflow)
    _ = await h.run("load seed.json; nodes; sett")
    // The one-time "no node catalog" note is a warning object; results follow it.
    let lines = try h.output.outLines.filter { try JSONValue.parse($0)["type"] != "warning" }
    #expect(lines.count == 3)
    let loaded = try JSONValue.parse(lines[0])
    #expect(loaded["type"] == "loaded")
    #expect(loaded["nodes"] == 3)
    #expect(try JSONValue.parse(lines[1])["nodes"]?.arrayValue?.count == 3)
    #expect(try JSONValue.parse(lines[2])["type"] == "error")
  }
}
