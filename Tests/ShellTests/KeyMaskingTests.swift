import ComfyClient
import Testing

@testable import Shell
@testable import Workflow

/// Masking: known secrets and key-shaped text, in strings, console output, captures and `--json`.
@MainActor
@Suite struct KeyMaskingTests {
  @Test func longKeysShowTheirFirst12AndLast4Characters() {
    let masking = KeyMasking(secrets: [TestKeys.work])
    #expect(masking.apply("key \(TestKeys.work) sent") == "key comfyui-87d0…c1f2 sent")
    #expect(Secrets.mask(TestKeys.work) == "comfyui-87d0…c1f2")
  }

  @Test func shortKeysShowNothingOfThemselves() {
    let masking = KeyMasking(secrets: [TestKeys.short, "abcdefgh"])
    #expect(masking.apply("a=\(TestKeys.short); b=abcdefgh.") == "a=••••; b=••••.")
    // Under 24 characters nothing shows, so at least 8 characters of a key always stay hidden.
    #expect(Secrets.mask(String(repeating: "x", count: 23)) == "••••")
    #expect(Secrets.mask("comfyui-0123456789abcdef") == "comfyui-0123…cdef")
  }

  @Test func secretsShorterThanAKeyAreNotMasked() {
    let masking = KeyMasking(secrets: ["abc", "seed"])
    #expect(masking.secretCount == 0)
    #expect(masking.apply("set 3.seed 42") == "set 3.seed 42")
  }

  @Test func severalKeysInOneLine() {
    let masking = KeyMasking(secrets: [TestKeys.work, TestKeys.ci, TestKeys.short])
    let line = "\(TestKeys.ci),\(TestKeys.work) and \(TestKeys.short)\(TestKeys.work)"
    #expect(masking.apply(line) == "comfyui-11aa…ffff,comfyui-87d0…c1f2 and ••••comfyui-87d0…c1f2")
  }

  @Test func aSecretInsideAnotherIsMaskedAsTheLongerOne() {
    let inner = "a1b2a1b2a1b2"
    let masking = KeyMasking(secrets: [inner, TestKeys.work])
    #expect(masking.apply(TestKeys.work) == "comfyui-87d0…c1f2")
    #expect(masking.apply("x \(inner) y") == "x •••• y")
  }

  @Test func keyShapedTextIsMaskedEvenWhenUnknown() {
    let masking = KeyMasking()
    let unknown = "comfyui-" + String(repeating: "0f", count: 32)
    #expect(
      masking.apply("\"api_key_comfy_org\": \"\(unknown)\"") == "\"api_key_comfy_org\": \"comfyui-0f0f…0f0f\""
    )
    // Not key-shaped: too short after the prefix, inside a word, or a file name.
    for text in [
      "comfyui-frontend-package 1.27.10", "comfyui-FAKEKEY", "mycomfyui-0123456789abcdef0123",
      "comfyui-0123456789abcde",
    ] {
      #expect(masking.apply(text) == text)
    }
    #expect(KeyRules.looksLikeKey(TestKeys.work))
    #expect(!KeyRules.looksLikeKey("comfyui-short"))
  }

  @Test func unicodeAroundSecretsSurvives() {
    let masking = KeyMasking(secrets: [TestKeys.work])
    #expect(masking.apply("灯台 \(TestKeys.work) éà") == "灯台 comfyui-87d0…c1f2 éà")
    #expect(masking.apply("灯台 éà") == "灯台 éà")
  }

  @Test func theConsoleMasksEverythingItWritesAndCaptures() async {
    let h = KeyHarness(environment: ["COMFYSH_KEY_WORK": TestKeys.work])
    let console = h.session.console
    console.beginCapture()
    console.print("print \(TestKeys.work)")
    console.warning("warn \(TestKeys.work)")
    console.error("fail \(TestKeys.work)", location: "x.comfy:1")
    console.note("note \(TestKeys.work)")
    console.notice("notice \(TestKeys.work)")
    let captured = console.endCapture()
    #expect(
      captured == [
        "print comfyui-87d0…c1f2", "warning: warn comfyui-87d0…c1f2", "x.comfy:1: fail comfyui-87d0…c1f2",
        "note: note comfyui-87d0…c1f2",
      ], "a notice is printed, never captured: it comes when it comes")
    #expect(!h.printed.contains(TestKeys.work))
    #expect(h.printed.contains("print comfyui-87d0…c1f2"))
    #expect(h.printed.contains("notice comfyui-87d0…c1f2"))
  }

  @Test func jsonOutputIsMasked() async {
    let h = KeyHarness(environment: ["COMFYSH_KEY_WORK": TestKeys.work], json: true)
    h.session.console.emit(["type": "payload", "extra_data": ["api_key_comfy_org": .string(TestKeys.work)]])
    #expect(
      h.shell.output.stdout
        == "{\"type\":\"payload\",\"extra_data\":{\"api_key_comfy_org\":\"comfyui-87d0…c1f2\"}}\n")
  }

  @Test func maskingFollowsTheKeysTheSessionLearns() async {
    let h = KeyHarness()
    let secret = "sk-live-0123456789"  // not key-shaped: only known keys mask it
    #expect(await h.ok("echo \(secret)") == "\(secret)\n")
    await h.add("other", secret)
    #expect(await h.ok("echo \(secret)") == "••••\n")
  }

  @Test func maskingIsCheapWhenThereIsNothingToMask() {
    let masking = KeyMasking(secrets: [TestKeys.work, TestKeys.ci])
    let line = String(repeating: "  12  SaveImage  \"Save Image\" ", count: 3)
    let clock = ContinuousClock()
    let elapsed = clock.measure {
      for _ in 0..<20_000 { _ = masking.apply(line) }
    }
    // About 0.4 µs a line in a debug build here; the bound only catches an accidental slow path.
    #expect(elapsed < .seconds(1))
  }
}
