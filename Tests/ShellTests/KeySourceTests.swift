import Testing

@testable import Shell
@testable import Workflow

/// Where keys come from and which one wins: the store, `COMFYSH_KEY_<NAME>` (overrides and supplies),
/// variables the store names (`--from-env`), and `COMFY_API_KEY` when nothing is selected.
@MainActor
@Suite struct KeySourceTests {
  @Test func aStoredKeyIsUsedByName() async throws {
    let h = KeyHarness()
    await h.add("work", TestKeys.work)
    #expect(try h.session.apiKeyForRun() == nil, "adding a key does not select it")
    _ = await h.ok("key use work")
    let key = try h.session.apiKeyForRun()
    #expect(key?.name == "work" && key?.key == TestKeys.work)
    #expect(try h.session.keyRing.resolve("work").source == .store)
  }

  @Test func theVariableOverridesTheStoredKey() async throws {
    let h = KeyHarness()
    await h.add("work", TestKeys.work)
    let other = h.newSession(environment: ["COMFYSH_KEY_WORK": TestKeys.env])
    _ = await other.ok("key use work")
    let key = try other.session.apiKeyForRun()
    #expect(key?.name == "work" && key?.key == TestKeys.env)
    #expect(try other.session.keyRing.resolve("work").source == .override(variable: "COMFYSH_KEY_WORK"))
    let list = await other.ok("key list")
    #expect(list.contains("* work  comfyui-e0e0…0e0e  COMFYSH_KEY_WORK (overrides the store)"))
    #expect(!list.contains("comfyui-87d0"), "the overridden value is not listed")
  }

  @Test func theVariableSuppliesAKeyTheStoreDoesNotHave() async throws {
    let h = KeyHarness(environment: ["COMFYSH_KEY_CI_BOT": TestKeys.ci])
    // `ci-bot`, `CI_BOT` and `ci_bot` all mean COMFYSH_KEY_CI_BOT.
    #expect(await h.ok("key use ci-bot") == "using key ci-bot\n")
    #expect(try h.session.apiKeyForRun()?.key == TestKeys.ci)
    let list = await h.ok("key list")
    #expect(list.contains("* ci_bot  comfyui-11aa…ffff  COMFYSH_KEY_CI_BOT"))
    #expect(await h.fails("key rm ci-bot").contains("it comes from COMFYSH_KEY_CI_BOT; unset that variable"))
  }

  @Test func anEmptyVariableCountsAsUnset() async throws {
    let h = KeyHarness(environment: ["COMFYSH_KEY_WORK": "", "COMFY_API_KEY": "  "])
    await h.add("work", TestKeys.work)
    _ = await h.ok("key use work")
    #expect(try h.session.apiKeyForRun()?.key == TestKeys.work)
    #expect(!(await h.ok("key list")).contains("COMFY_API_KEY"))
  }

  @Test func comfyAPIKeyIsTheFallbackAndSaysSoOnce() async throws {
    let h = KeyHarness(environment: ["COMFY_API_KEY": TestKeys.fallback])
    h.shell.output.clear()
    let key = try h.session.apiKeyForRun()
    #expect(key?.name == "COMFY_API_KEY" && key?.key == TestKeys.fallback)
    let note = h.shell.output.stderr
    #expect(note.hasPrefix("note: no key is selected, so the key in COMFY_API_KEY is used"))
    #expect(!note.contains("fa11"), "the note names the variable, never the value")
    h.shell.output.clear()
    _ = try h.session.apiKeyForRun()
    #expect(h.shell.output.stderr.isEmpty, "said once")
    let list = await h.ok("key list")
    #expect(list.contains("* COMFY_API_KEY  comfyui-fa11…back  COMFY_API_KEY (used when no key is selected)"))
    #expect(list.hasSuffix("in use: COMFY_API_KEY\n"))
  }

  @Test func aSelectedOrDefaultKeyBeatsTheFallback() async throws {
    let h = KeyHarness(environment: ["COMFY_API_KEY": TestKeys.fallback])
    await h.add("work", TestKeys.work)
    _ = await h.ok("key use work --default")
    #expect(try h.session.apiKeyForRun()?.name == "work")
    // A new session starts with the default, not COMFY_API_KEY.
    let next = h.newSession()
    #expect(try next.session.apiKeyForRun()?.name == "work")
    #expect(next.shell.output.stderr.isEmpty)
  }

  @Test func keyNoneSendsNothingNotEvenTheFallback() async throws {
    let h = KeyHarness(environment: ["COMFY_API_KEY": TestKeys.fallback])
    #expect(await h.ok("key none") == "no key will be sent\n")
    #expect(try h.session.apiKeyForRun() == nil)
    #expect((await h.ok("key list")).hasSuffix("in use: none (`key none`)\n"))
    // `key use COMFY_API_KEY` picks the variable explicitly.
    _ = await h.ok("key use COMFY_API_KEY")
    #expect(try h.session.apiKeyForRun()?.key == TestKeys.fallback)
  }

  @Test func fromEnvStoresTheVariableNameNotTheKey() async throws {
    let h = KeyHarness(environment: ["MY_COMFY_KEY": TestKeys.env])
    let out = await h.ok("key add ci --from-env MY_COMFY_KEY")
    #expect(
      out == "added key ci (comfyui-e0e0…0e0e), read from $MY_COMFY_KEY when used; `key use ci` to use it\n")
    let text = h.storeText ?? ""
    #expect(text.contains("\"env\": \"MY_COMFY_KEY\""))
    #expect(!text.contains(TestKeys.env), "the key never touches the disk")
    _ = await h.ok("key use ci")
    #expect(try h.session.apiKeyForRun()?.key == TestKeys.env)
    #expect(try h.session.keyRing.resolve("ci").source == .storeReference(variable: "MY_COMFY_KEY"))

    // Another session where the variable is not set: a clear error, no key.
    let other = h.newSession(environment: [:])
    #expect(
      await other.fails("key use ci")
        == "error: key ci is read from $MY_COMFY_KEY, which is not set here: export MY_COMFY_KEY, or `key add ci --force` to store another\n"
    )
    #expect((await other.ok("key list")).contains("ci  (not usable: key ci is read from $MY_COMFY_KEY"))
  }

  @Test func fromEnvRefusesUnsetOrInvalidVariables() async {
    let h = KeyHarness(environment: ["SPACED": "comfyui-abc def-ghijkl", "SHORT": "abc"])
    #expect(await h.fails("key add ci --from-env NOPE").contains("NOPE is not set (or is empty)"))
    #expect(
      await h.fails("key add ci --from-env 'not a name'").contains("is not an environment variable name"))
    #expect(await h.fails("key add ci --from-env SPACED").contains("$SPACED contains white space"))
    #expect(await h.fails("key add ci --from-env SHORT").contains("$SHORT is too short to be an API key"))
    #expect(
      await h.fails("key add ci --from-env SHORT --stdin").contains("choose one of --stdin and --from-env"))
    #expect(!FileIO.exists(h.storePath))
  }

  @Test func anInvalidOverrideIsAnErrorNamingTheVariableNotTheValue() async throws {
    let secretish = "comfyui-abcd efgh-ijkl-mnop-qrst"
    let h = KeyHarness(environment: ["COMFYSH_KEY_WORK": secretish])
    let message = await h.fails("key use work")
    #expect(
      message == "error: COMFYSH_KEY_WORK contains white space or control characters; a key is one word\n")
  }

  @Test func secretsListsEveryValueTheSessionKnows() async {
    let h = KeyHarness(environment: [
      "COMFYSH_KEY_CI": TestKeys.ci, "COMFY_API_KEY": TestKeys.fallback, "REF": TestKeys.env,
      "OTHER": "not a key",
    ])
    await h.add("work", TestKeys.work)
    _ = await h.ok("key add ref --from-env REF")
    #expect(Set(h.session.secrets) == [TestKeys.work, TestKeys.ci, TestKeys.fallback, TestKeys.env])
  }
}
