import Testing

@testable import Shell
@testable import Workflow

/// `key add/use/none/list/rm` and their failures.
@MainActor
@Suite struct KeyCommandTests {
  @Test func addAtATerminalReadsTheKeyAtAHiddenPrompt() async throws {
    let h = KeyHarness(terminal: true)
    h.feed.type("  \(TestKeys.work)  ")
    let out = await h.ok("key add work")
    #expect(h.feed.shownPrompts == ["key for work (typing is hidden): "])
    #expect(out == "added key work (comfyui-87d0…c1f2); `key use work` to use it\n")
    #expect(!h.printed.contains(TestKeys.work))
    let stored = try JSONValue.parse(h.storeText ?? "")["keys"]?["work"]?["key"]?.stringValue
    #expect(stored == TestKeys.work, "surrounding white space is dropped")
    // --stdin at a terminal also reads without echo.
    h.feed.type(TestKeys.ci)
    _ = await h.ok("key add ci --stdin")
    #expect(h.feed.shownPrompts.count == 2)
  }

  @Test func addWithoutATerminalPointsToStdinAndFromEnv() async {
    let h = KeyHarness(terminal: false)
    #expect(
      await h.fails("key add work")
        == "error: key add reads the key at a terminal without echo, and standard input is not a terminal: use `key add work --stdin` (one line of standard input) or `key add work --from-env VAR`\n"
    )
    #expect(await h.fails("key add work --stdin").contains("standard input ended before a key"))
    #expect(!FileIO.exists(h.storePath))
  }

  @Test func cancellingTheHiddenPromptStoresNothing() async {
    let h = KeyHarness(terminal: true)
    #expect(await h.fails("key add work") == "error: cancelled: no key was stored\n")
    #expect(!FileIO.exists(h.storePath))
  }

  @Test func addValidatesTheKeyWithoutQuotingIt() async {
    let h = KeyHarness(terminal: true)
    h.feed.type("")
    #expect(await h.fails("key add work") == "error: the key is empty\n")
    h.feed.type("comfyui-abc defghijklmnop")
    #expect(
      await h.fails("key add work")
        == "error: the key contains white space or control characters; a key is one word\n")
    h.feed.type("abc")
    #expect(await h.fails("key add work").contains("too short to be an API key"))
    #expect(!FileIO.exists(h.storePath))
    // A key without the comfyui- prefix is stored, with a warning.
    h.feed.type("sk-0123456789abcdef0123456789abcdef")
    let out = await h.ok("key add other")
    #expect(out == "added key other (sk-012345678…cdef); `key use other` to use it\n")
    #expect(h.shell.output.stderr.contains("warning: the key for other does not start with comfyui-"))
  }

  @Test func addRefusesTakenAndInvalidNamesBeforeAskingForTheKey() async {
    let h = KeyHarness(terminal: true)
    h.feed.type(TestKeys.work)
    _ = await h.ok("key add work")
    #expect(
      await h.fails("key add work").contains(
        "there is already a key named work: `key add work --force` replaces it"))
    #expect(await h.fails("key add work-1 --from-env X").contains("not set"))
    #expect(
      await h.fails("key add 'two words'").contains("cannot be a key name; use letters, digits, - and _"))
    #expect(await h.fails("key add COMFY_API_KEY").contains("choose another name"))
    #expect(h.feed.shownPrompts.count == 1, "no prompt for a key that could not be stored")

    h.feed.type(TestKeys.ci)
    #expect(
      await h.ok("key add work --force") == "added key work (comfyui-11aa…ffff); `key use work` to use it\n")
    h.feed.type(TestKeys.env)
    _ = await h.ok("key add a-b")
    #expect(
      await h.fails("key add a_b").contains("a_b and the key a-b would share the variable COMFYSH_KEY_A_B"))
  }

  @Test func aKeyTypedOnTheLineIsRefusedMaskedAndSensitive() async {
    let h = KeyHarness(terminal: true, sourceName: "setup.comfy")
    let line = "key add work \(TestKeys.work)"
    #expect(h.session.isSensitive(line: line))
    let message = await h.fails(line)
    #expect(message.contains("a key is never typed on the command line"))
    #expect(message.contains("type `key add work` alone and paste the key at the hidden prompt"))
    #expect(message.contains("setup.comfy:1: key add work comfyui-87d0…c1f2:"), "the quoted line is masked")
    #expect(!message.contains(TestKeys.work))
    #expect(!FileIO.exists(h.storePath))
    #expect(h.feed.shownPrompts.isEmpty)

    // A short or odd secret is masked as well once it has been typed.
    let odd = "x9-secret-value"
    #expect(await h.fails("key add work \(odd)").contains("key add work ••••"))
    // The key where the name goes.
    #expect(await h.fails("key add \(TestKeys.ci)").contains("type `key add NAME` alone"))
    #expect(!h.printed.contains(TestKeys.ci))
  }

  @Test func useNamesAMissingKeyAndHowToAddIt() async {
    let h = KeyHarness()
    #expect(
      await h.fails("key use work")
        == "error: no key named work here: add it with `key add work` (or set COMFYSH_KEY_WORK)\n")
    #expect(
      await h.fails("key use").contains("key use needs more arguments; usage: key use NAME [--default]"))
    #expect(await h.fails("key use a b").contains("has too many arguments"))
    #expect(await h.fails("key use work --now").contains("key use has no option --now"))
  }

  @Test func useDefaultPersistsAndNoneDefaultClearsIt() async throws {
    let h = KeyHarness()
    await h.add("work", TestKeys.work)
    #expect(await h.ok("key use work --default") == "using key work (also the default for new sessions)\n")
    #expect(h.storeText?.contains("\"default\": \"work\"") == true)
    #expect(try h.newSession().session.apiKeyForRun()?.name == "work")

    #expect(await h.ok("key none --default") == "no key will be sent; work is no longer the default\n")
    #expect(h.storeText?.contains("default") == false)
    #expect(try h.newSession().session.apiKeyForRun() == nil)
    #expect(await h.ok("key none") == "no key will be sent\n")
  }

  @Test func listShowsMaskedValuesSourcesAndTheKeyInUse() async {
    let h = KeyHarness(environment: ["COMFYSH_KEY_CI": TestKeys.ci, "COMFY_API_KEY": TestKeys.fallback])
    #expect(await h.ok("key") == (await h.ok("key list")), "`key` alone lists")
    await h.add("work", TestKeys.work)
    _ = await h.ok("key use work --default")
    #expect(
      await h.ok("key list") == """
        * work           comfyui-87d0…c1f2  store · default
          ci             comfyui-11aa…ffff  COMFYSH_KEY_CI
          COMFY_API_KEY  comfyui-fa11…back  COMFY_API_KEY (used when no key is selected)
        in use: work

        """)
    #expect(!h.printed.contains("a1b2a1b2"))
  }

  @Test func listWithoutKeysSaysHowToAddOne() async {
    let h = KeyHarness()
    #expect(
      await h.ok("key list")
        == "no keys: `key add NAME` stores one (or set COMFYSH_KEY_<NAME> or COMFY_API_KEY)\n")
  }

  @Test func listInJSONHasNoSecrets() async throws {
    let h = KeyHarness(json: true)
    await h.add("work", TestKeys.work)
    _ = await h.ok("key use work")
    let out = await h.ok("key list")
    #expect(!out.contains(TestKeys.work))
    let json = try JSONValue.parse(out)
    #expect(json["type"] == "keys")
    #expect(json["in_use"] == "work")
    #expect(json["keys"]?.arrayValue?.first?["masked"] == "comfyui-87d0…c1f2")
    #expect(json["keys"]?.arrayValue?.first?["in_use"] == true)
  }

  @Test func rmDeletesStoredKeysOnly() async throws {
    let h = KeyHarness()
    await h.add("work", TestKeys.work)
    await h.add("ci", TestKeys.ci)
    _ = await h.ok("key use work --default")
    #expect(
      await h.ok("key rm work")
        == "removed key work from the store; it was the default; it was in use: `key use NAME` or `key none` to choose again\n"
    )
    #expect(!(h.storeText ?? "").contains(TestKeys.work))
    #expect(!(h.storeText ?? "").contains("default"))
    #expect(
      throws: KeyError.missing("work"), "the selection stays: a run fails instead of sending another key"
    ) { try h.session.apiKeyForRun() }
    #expect(await h.fails("key rm work").contains("there is no key named work in the store"))
    #expect(await h.ok("key remove ci") == "removed key ci from the store\n")

    // A key the variable still supplies.
    let other = h.newSession(environment: ["COMFYSH_KEY_X": TestKeys.env])
    await other.add("x", TestKeys.work)
    #expect(await other.ok("key rm x") == "removed key x from the store; COMFYSH_KEY_X still supplies it\n")
  }

  @Test func unknownSubcommandsSuggestAndListUsage() async {
    let h = KeyHarness()
    let message = await h.fails("key ad work")
    #expect(message.contains("key has no subcommand ad (did you mean key add?)"))
    #expect(message.contains("key use NAME [--default] | key none [--default]"))
    #expect(await h.ok("help key").contains("usage: key add|use|none|list|rm [NAME]"))
    #expect((await h.ok("help")).contains("Keys:"))
  }
}
