import ComfyClient
import TestSupport
import Testing
import Workflow

@testable import Shell

@Suite("Server answers in the shell's words", needsFixtures)
struct ServerFormatTests {
  @Test func nodeErrorsSayWhatToType() throws {
    let missing = try #require(
      PromptRejection(json: Fixtures.responseBody("validation/b-missing-required-input.json")))
    let lines = ServerFormat.nodeErrorLines(missing.nodeErrors, workflow: Workflow())
    #expect(
      lines.first
        == "node 1 (EmptyImage) width: Required input is missing (set it: set 1.width VALUE, or link it: link 1.width NODE:SLOT)"
    )

    let dangling = try #require(
      PromptRejection(json: Fixtures.responseBody("validation/c-link-to-nonexistent-node.json")))
    let line = try #require(ServerFormat.nodeErrorLines(dangling.nodeErrors, workflow: Workflow()).first)
    #expect(line.contains("KeyError '99'"))
    #expect(line.contains("a link points to a node that does not exist"))
  }

  @Test func clientErrorsAddTheAdvice() throws {
    let server = try ServerAddress("http://127.0.0.1:9")
    #expect(
      ComfyClientError.cannotConnect(server: server, reason: "connection refused").shellMessage
        == "cannot connect to http://127.0.0.1:9 (connection refused): is ComfyUI running there? start it, or use --sim / server URL"
    )
    let quiet = ComfyClientError.inactivity(
      server: server, promptID: "p1", quietFor: .seconds(5),
      runningNode: .init(id: "2", classType: "ImageInvert"))
    #expect(
      quiet.shellMessage
        == "no news from http://127.0.0.1:9 about prompt p1 for 5 s (node 2 ImageInvert was running); it is still running there: `watch` to follow it again, `interrupt` to stop it, or `watch --timeout SECONDS` to wait longer"
    )
    #expect(
      ComfyClientError.invalidAddress(text: "ftp://x", problem: .unsupportedScheme).shellMessage
        == "ftp://x is not an http or https URL; give one such as http://127.0.0.1:8188")
  }
}
