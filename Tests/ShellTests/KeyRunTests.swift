import Testing

@testable import Shell
@testable import Workflow

/// What `run` asks of the keys: `apiKeyForRun` and its errors, and the plain-http warning.
@MainActor
@Suite struct KeyRunTests {
  @Test func noKeyAtAllIsNil() throws {
    let h = KeyHarness()
    #expect(try h.session.apiKeyForRun() == nil)
    #expect(h.session.keyWarnings(serverURL: "http://example.com:8188") == [])
  }

  @Test func aSelectedKeyThatDisappearedIsAClearError() async throws {
    let h = KeyHarness()
    await h.add("work", TestKeys.work)
    _ = await h.ok("key use work")
    // Another session removes it.
    _ = await h.newSession().ok("key rm work")
    #expect(throws: KeyError.missing("work")) { try h.session.apiKeyForRun() }
    #expect(
      KeyError.missing("work").message
        == "no key named work here: add it with `key add work` (or set COMFYSH_KEY_WORK)")
  }

  @Test func aReplayedScriptOnAMachineWithoutTheKeyStopsAtKeyUse() async {
    let h = KeyHarness(sourceName: "flux.comfy")
    let ok = await h.shell.run("key use work\necho after")
    #expect(!ok)
    #expect(
      h.shell.output.stderr
        == "flux.comfy:1: key use work: no key named work here: add it with `key add work` (or set COMFYSH_KEY_WORK)\n"
    )
    #expect(!h.shell.output.stdout.contains("after"))
  }

  @Test func aDefaultThatDisappearedSaysItIsTheDefault() async throws {
    let h = KeyHarness()
    await h.add("work", TestKeys.work)
    _ = await h.ok("key use work --default")
    var contents = try KeyStore(folder: h.config).load()
    contents.entries = []
    try KeyStore(folder: h.config).save(contents)
    let other = h.newSession()
    #expect(throws: KeyError.self) { try other.session.apiKeyForRun() }
    do {
      _ = try other.session.apiKeyForRun()
    } catch {
      #expect("\(error)".contains("(work is the store's default: `key use NAME --default` picks another"))
    }
  }

  @Test func plainHTTPToAnotherHostWarns() async {
    let h = KeyHarness(environment: ["COMFYSH_KEY_WORK": TestKeys.work])
    _ = await h.ok("key use work")
    let warnings = h.session.keyWarnings(serverURL: "http://gpu-box.lan:8188/")
    #expect(
      warnings == [
        "the key work would go over plain http to gpu-box.lan, where anyone on the network path can read it: use https, or --insecure-key (or COMFYSH_INSECURE_KEY=1) if you trust this network"
      ])
    #expect(h.session.keyWarnings(serverURL: "HTTP://user:pw@10.0.0.5").count == 1)
    for safe in [
      "https://gpu-box.lan", "http://127.0.0.1:8188", "http://127.9.8.7", "http://localhost:8188",
      "http://LOCALHOST./x", "http://[::1]:8188", "http://[::ffff:127.0.0.1]:8188", "http://api.localhost",
    ] {
      #expect(h.session.keyWarnings(serverURL: safe) == [], "\(safe)")
    }
    // Looks like loopback, is not.
    #expect(h.session.keyWarnings(serverURL: "http://127.0.0.1.nip.io").count == 1)
    #expect(h.session.keyWarnings(serverURL: "http://[::2]:8188").count == 1)
  }

  @Test func theWarningIsSilencedByTheFlagOrTheSetting() async {
    let flagged = KeyHarness(environment: ["COMFYSH_KEY_WORK": TestKeys.work])
    _ = await flagged.ok("key use work")
    flagged.session.keyRing.allowsInsecureTransport = true  // what --insecure-key sets
    #expect(flagged.session.keyWarnings(serverURL: "http://gpu-box.lan:8188") == [])

    let set = KeyHarness(environment: ["COMFYSH_KEY_WORK": TestKeys.work, "COMFYSH_INSECURE_KEY": "1"])
    _ = await set.ok("key use work")
    #expect(set.session.keyWarnings(serverURL: "http://gpu-box.lan:8188") == [])

    let none = KeyHarness(environment: ["COMFYSH_KEY_WORK": TestKeys.work])
    _ = await none.ok("key none")
    #expect(
      none.session.keyWarnings(serverURL: "http://gpu-box.lan:8188") == [], "no key, nothing to warn about")
  }

  @Test func hostsAreParsedFromURLs() {
    #expect(KeyTransport.plainHTTPHost("http://example.com:8188/prompt?x#y") == "example.com")
    #expect(KeyTransport.plainHTTPHost("http://[fe80::1]:8188") == "fe80::1")
    #expect(KeyTransport.plainHTTPHost("https://example.com") == nil)
    #expect(KeyTransport.plainHTTPHost("example.com:8188") == nil)
  }
}
