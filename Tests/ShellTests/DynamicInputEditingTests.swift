import TestSupport
import Testing

@testable import Shell
@testable import Workflow

/// Editing V3 dynamic inputs with the catalog recorded from ComfyUI 0.33.0: selecting an option swaps
/// sub-inputs, nested values are typed and range-checked, autogrow slots grow within their maximum,
/// Tab offers option keys and the selected option's inputs, and validation follows the 0.33 rules.
@MainActor
@Suite(needsFixtures033) struct DynamicInputEditingTests {
  func harness() -> ShellHarness {
    let h = ShellHarness()
    h.session.catalog.path = Fixtures.comfyUI_0_33.path("object_info.subset.json")
    return h
  }

  @Test func aNewNodeHasItsFirstOptionsDefaults() async throws {
    let h = harness()
    _ = await h.ok("add ResizeImageMaskNode as 2")
    let inputs = try #require(h.session.workflow["2"]?.inputs)
    #expect(
      Array(inputs.keys) == [
        "resize_type", "resize_type.width", "resize_type.height", "resize_type.crop", "scale_method",
      ])
    #expect(inputs["resize_type"] == "scale dimensions")
    #expect(inputs["resize_type.crop"] == "center")
  }

  @Test func selectingAnOptionSwapsItsInputsAndSaysSo() async throws {
    let h = harness()
    _ = await h.ok("add ResizeImageMaskNode as 2")
    let said = await h.ok("set 2.resize_type \"scale by multiplier\"")
    #expect(said.contains("removed resize_type.width, resize_type.height, resize_type.crop"))
    #expect(said.contains("added resize_type.multiplier = 1.0"))
    let inputs = try #require(h.session.workflow["2"]?.inputs)
    #expect(Array(inputs.keys) == ["resize_type", "resize_type.multiplier", "scale_method"])
    // Typed and range-checked under its dotted name; the option key itself is checked too.
    #expect(await h.fails("set 2.resize_type.multiplier 20").contains("maximum 8.0"))
    #expect(await h.fails("set 2.resize_type sideways").contains("\"sideways\" is not one of the 9 choices"))
    // A sub-input of another option says which option has it.
    let error = await h.fails("set 2.resize_type.width 5")
    #expect(error.contains("width belongs to \"scale dimensions\", \"scale width\""))
    // Setting the same option again keeps the values.
    _ = await h.ok("set 2.resize_type.multiplier 2.5")
    #expect(await h.ok("set 2.resize_type \"scale by multiplier\"").isEmpty)
    #expect(
      h.session.workflow["2"]?.input("resize_type.multiplier")
        == .value(.number(JSONNumber(uncheckedText: "2.5"))))
  }

  @Test func twoLevelsDeepAndShownAsATree() async throws {
    let h = harness()
    _ = await h.ok("add SaveVideo as 5")
    _ = await h.ok("set 5.format.codec h264")
    let said = await h.ok("set 5.format.codec.encoding re-encode")
    #expect(said.contains("added format.codec.encoding.crf = 23.0"))
    _ = await h.ok("set 5.format.codec.encoding.crf 20")
    #expect(await h.fails("set 5.format.codec.encoding.crf 99").contains("maximum 51.0"))
    let shown = await h.ok("show 5")
    #expect(shown.contains("format "))
    #expect(shown.contains("\n    .codec "))
    #expect(shown.contains("\n      .encoding "))
    #expect(shown.contains("\n        .crf "))
    // Choosing another format drops everything under the old one.
    let switched = await h.ok("set 5.format mp4")
    #expect(switched.contains("removed format.codec, format.codec.encoding, format.codec.encoding.crf"))
    #expect(h.session.workflow["5"]?.inputs.keys.filter { $0.hasPrefix("format.codec.encoding") } == [])
  }

  @Test func autogrowGrowsWithinItsMaximum() async throws {
    let h = harness()
    _ = await h.ok("add EmptyImage as 1")
    let added = await h.ok("add BatchImagesNode as 2")
    #expect(added.contains("images.image0 (IMAGE)"))
    _ = await h.ok("link 2.images.image0 1:0")
    _ = await h.ok("link 2.images.image1 1:0")
    _ = await h.ok("link 2.images.image49 1:0")
    let error = await h.fails("link 2.images.image50 1:0")
    #expect(error.contains("at most 50"))
    let context = h.session.completionContext()
    #expect(
      Completer.complete("link 2.images.", context: context).candidates == [
        "2.images.image0", "2.images.image1", "2.images.image49", "2.images.image2",
      ])
  }

  @Test func tabOffersOptionKeysAndTheSelectedOptionsInputs() async throws {
    let h = harness()
    _ = await h.ok("add ResizeImageMaskNode as 2")
    let context = h.session.completionContext()
    #expect(
      Completer.complete("set 2.resize_type.", context: context).candidates == [
        "2.resize_type.width", "2.resize_type.height", "2.resize_type.crop",
      ])
    let keys = Completer.complete("set 2.resize_type ", context: context).candidates
    #expect(keys.contains("\"scale by multiplier\""))
    #expect(
      Completer.complete("set 2.resize_type.crop ", context: context).candidates == ["disabled", "center"])
  }

  /// No recorded class has a multiselect COMBO (the README says so), so this one is written by hand in
  /// the 0.33 form: a list value is sent wrapped, each pick is checked, and 0.33's validation agrees.
  @Test func aMultiselectComboTakesAListOfItsOptions() async throws {
    let h = ShellHarness()
    let path = h.write(
      "multi.json",
      """
      {"TagPicker": {"input": {"required": {"tags": ["COMBO", {"multiselect": true, "options": ["red", "green", "blue"]}]}},
        "input_order": {"required": ["tags"]}, "output": [], "output_is_list": [], "output_name": [],
        "name": "TagPicker", "display_name": "Tag Picker", "description": "", "python_module": "custom_nodes.x",
        "category": "test", "output_node": true, "deprecated": false, "experimental": false, "api_node": false,
        "search_aliases": null}}
      """)
    h.session.catalog.path = path
    _ = await h.ok("add TagPicker as 1")
    _ = await h.ok("set 1.tags [\"red\",\"blue\"]")
    #expect(h.session.workflow["1"]?.inputs["tags"] == ["__value__": ["red", "blue"]])
    let refused = await h.fails("set 1.tags [\"red\",\"pink\"]")
    #expect(refused.contains("pink"))
    // This catalog is 0.33's (its classes have the newer fields), whose server checks v3 combos.
    #expect(!refused.contains("would accept it"))
    #expect(await h.ok("validate").contains("valid"))
  }

  @Test func catalogSearchFindsSearchAliases() async throws {
    let h = harness()
    // "combine images" is only an alias of BatchImagesNode (the subset has no class of that name).
    let found = await h.ok("catalog \"combine images\"")
    #expect(found.contains("BatchImagesNode"))
    #expect(await h.ok("catalog").contains("validates as ComfyUI 0.4 and later"))
  }

  @Test func infoDrawsTheOptionsAsATreeAndValidateUsesTheNewRules() async throws {
    let h = harness()
    let info = await h.ok("info ResizeImageMaskNode")
    #expect(info.contains("= \"scale dimensions\""))
    #expect(info.contains("resize_type.width"))
    #expect(info.contains("also found as: "))
    #expect(!info.contains("not checked by the server"))
    _ = await h.ok("add EmptyImage as 1")
    _ = await h.ok("add ResizeImageMaskNode as 2")
    _ = await h.ok("add PreviewImage as 3")
    _ = await h.ok("link 2.input 1:0")
    _ = await h.ok("link 3.images 2:0")
    #expect(await h.ok("validate").contains("valid"))
    // A v3 COMBO value outside its options: 0.3.64 accepted it, 0.33 (this catalog's rules) does not.
    let path = TemporaryFolder.make(prefix: "comfysh-dynamic") + "/bad.json"
    var nodes = try #require(h.session.workflow.json.objectValue)
    var node = try #require(nodes["2"]?.objectValue)
    var inputs = try #require(node["inputs"]?.objectValue)
    inputs["scale_method"] = "bogus"
    node["inputs"] = .object(inputs)
    nodes["2"] = .object(node)
    try FileIO.writeAtomically(path, Array(JSONValue.object(nodes).serialized().utf8))
    _ = await h.ok("load \(path)")
    #expect(await h.fails("validate").contains("would reject"))
    #expect(h.output.stdout.contains("scale_method"))
    #expect(h.output.stdout.contains("bogus"))
  }
}
