import ComfyClient
import ComfySim
import FaultProxy
import Foundation
import Media
import TestSupport
import Testing

@testable import Shell
@testable import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// Pools: runs spread over several in-process simulators, sweeps watched as a whole, failover.
/// One at a time: each starts several simulators, and the suite shares the machine with timing tests.
@MainActor
@Suite(.serialized)
struct PoolTests {
  /// A started simulator with a per-node delay (and another catalog when given).
  static func simulator(
    stepDelay: Duration = .milliseconds(5), catalog: JSONValue? = nil
  ) async throws
    -> ComfySimulator
  {
    let simulator = try ComfySimulator(SimulatorConfiguration(catalogJSON: catalog, stepDelay: stepDelay))
    try await simulator.start()
    return simulator
  }

  /// The colours of the prompts that succeeded in a server's history (the sweep's seed input).
  static func succeededColors(_ url: String) async throws -> [Int] {
    let client = ComfyClient(server: try ServerAddress(url))
    let entries = try await client.history()
    return entries.filter { $0.statusText == "success" }.compactMap {
      $0.item?.prompt["1"]?["inputs"]?["color"]?.numberValue.flatMap { Int($0.text) }
    }
  }

  @Test func poolsAreSavedUsedListedAndRemoved() async throws {
    let h = try await ServerHarness()
    let other = try await Self.simulator()
    let home = TemporaryFolder.make()
    setenv("XDG_CONFIG_HOME", home, 1)
    let urls = "\(h.simulator.baseURL) \(other.baseURL)"
    let saved = await h.ok("pool gpus \(urls); pool use gpus")
    #expect(saved.contains("saved pool gpus = \(urls); `pool use gpus` spreads runs over it\n"), "\(saved)")
    #expect(saved.contains("using pool gpus: 2 members up\n"), "\(saved)")
    let file = try JSONValue.parse(FileIO.readText(home + "/comfysh/pools.json"))
    #expect(file["pools"]?["gpus"]?.arrayValue?.count == 2)
    let listed = await h.ok("pool")
    #expect(listed.hasPrefix("pool gpus in use:\n"), "\(listed)")
    #expect(listed.contains(other.baseURL) && listed.contains("up"))
    #expect(await h.fails("pool use nothere").contains("no saved pool is called nothere"))
    #expect(await h.fails("pool use").contains("pool needs more arguments"))
    #expect(await h.fails("pool bad nosuchname").contains("no saved server is called nosuchname"))
    #expect(await h.ok("pool off").hasPrefix("pool gpus is no longer used"))
    #expect(h.session.server.pool == nil)
    #expect(await h.ok("pool rm gpus") == "removed pool gpus\n")
    await h.close()
    await other.stop()
  }

  /// `outputs --all` names each prompt's member; `download DIR --all` fetches every file from the
  /// member that made it (both members number their files from 1: the second copy gets " (1)").
  @Test func outputsAndDownloadOfAWholeSweepNameAndUseEachMember() async throws {
    let h = try await ServerHarness(stepDelay: .milliseconds(5))
    let other = try await Self.simulator()
    try await PoolCommand.activate(
      name: "two", members: [h.simulator.baseURL, other.baseURL], session: h.session)
    await h.loadBasic(color: 0, prefix: "all")
    _ = await h.ok("seed 1.color increment")
    _ = await h.ok("run --count 6; watch")
    let pool = try #require(h.session.server.pool)
    let names = pool.members.map(\.name)
    let listed = await h.ok("outputs --all")
    let rows = listed.split(separator: "\n").filter { $0.contains("output/all_") }
    #expect(rows.count == 6, "\(listed)")
    for name in names { #expect(rows.contains { $0.contains(name) }, "a row on \(name): \(listed)") }
    #expect(listed.hasSuffix("6 prompts, 6 files; `download DIR --all` saves them\n"), "\(listed)")
    let id = try #require(h.session.server.lastPromptID)
    let member = try #require(h.session.server.member(of: id))
    #expect(await h.ok("outputs \(id)").hasPrefix("prompt \(id) ran on \(member.name)\n"))

    let saved = await h.ok("download out --all")
    #expect(saved.hasSuffix("6 files from 6 prompts\n"), "\(saved)")
    let files = try FileManager.default.contentsOfDirectory(atPath: h.shell.folder + "/out/")
    #expect(files.count == 6, "\(files)")
    // Each saved picture is one of the sweep's: its colour is a seed of the sweep (1…6).
    var colours: Set<Int> = []
    for file in files {
      let image = try PNGDecoder.decode(try FileIO.read(h.shell.folder + "/out/" + file, limit: .workflow))
      let p = image.pixel(x: 0, y: 0)
      colours.insert(Int(p.r) << 16 | Int(p.g) << 8 | Int(p.b))
    }
    #expect(colours.count == 6, "six different pictures: \(colours)")
    #expect(
      await h.fails("download out --all --prompt \(id)").contains("--all and --prompt exclude each other"))
    await h.close()
    await other.stop()
  }

  /// A member given as `SERVER=KEY` carries that key, `SERVER=none` none, the others the session's.
  @Test func eachMemberCarriesItsOwnKeyChoice() async throws {
    let h = try await ServerHarness(stepDelay: .milliseconds(5))
    let second = try await Self.simulator()
    let third = try await Self.simulator()
    h.session.keyRing = KeyRing(
      configFolder: h.shell.folder + "/keys",
      environment: ["COMFYSH_KEY_WORK": TestKeys.work, "COMFYSH_KEY_CI": TestKeys.ci])
    _ = await h.ok("key use ci")
    try await PoolCommand.activate(
      name: "keyed", members: [h.simulator.baseURL, "\(second.baseURL)=work", "\(third.baseURL)=none"],
      session: h.session)
    let listed = await h.ok("pool")
    #expect(listed.contains("key work") && listed.contains("no key"), "\(listed)")
    #expect(!listed.contains(TestKeys.work), "the listing names keys, never shows them")
    await h.loadBasic(color: 0, prefix: "keyed")
    _ = await h.ok("seed 1.color increment")
    _ = await h.ok("run --count 9; watch")
    let pool = try #require(h.session.server.pool)
    #expect(pool.members.allSatisfy { $0.succeeded > 0 }, "every member ran prompts")
    #expect(h.simulator.receivedAPIKeys == Array(repeating: TestKeys.ci, count: pool.members[0].succeeded))
    #expect(second.receivedAPIKeys == Array(repeating: TestKeys.work, count: pool.members[1].succeeded))
    #expect(third.receivedAPIKeys.isEmpty)
    // A member naming a key this session cannot find is refused when the pool is chosen.
    setenv("XDG_CONFIG_HOME", TemporaryFolder.make(), 1)
    let refused = await h.fails("pool bad \(second.baseURL)=nosuch; pool use bad")
    #expect(
      refused.contains("pool member \(second.baseURL) carries key nosuch: no key named nosuch here"),
      "\(refused)")
    await h.close()
    await second.stop()
    await third.stop()
  }

  @Test func aSweepSpreadsOverTheMembersAndEachPromptRunsOnce() async throws {
    let h = try await ServerHarness(stepDelay: .milliseconds(5))
    let other = try await Self.simulator()
    try await PoolCommand.activate(
      name: "two", members: [h.simulator.baseURL, other.baseURL], session: h.session)
    await h.loadBasic(color: 0)
    _ = await h.ok("seed 1.color increment")
    let queued = await h.ok("run --count 12")
    #expect(queued.split(separator: "\n").filter { $0.hasPrefix("queued ") }.count == 12, "\(queued)")
    let watched = await h.ok("watch")
    #expect(watched.hasPrefix("sweep of 12 prompts: 12 succeeded in "), "\(watched)")
    #expect(watched.contains("pool two: "), "the distribution is a notice: \(watched)")
    let pool = try #require(h.session.server.pool)
    #expect(pool.members.allSatisfy { $0.succeeded > 0 }, "both members ran prompts")
    #expect(pool.members.allSatisfy { $0.inFlight.isEmpty })
    let colors = try await Self.succeededColors(h.simulator.baseURL) + Self.succeededColors(other.baseURL)
    #expect(colors.sorted() == Array(1...12))
    // Every record names the member that ran it, and `watch ID` follows one there.
    let onOther = try #require(h.session.server.records.last { $0.server.description == other.baseURL })
    #expect(await h.ok("watch \(onOther.id)").contains("Save Image"))
    // A second watch has nothing new to follow: it shows the last prompt.
    #expect(!(await h.ok("watch")).hasPrefix("sweep"))
    await h.session.server.shutdown()
    await h.close()
    await other.stop()
  }

  @Test func aMemberWithoutAClassOfTheWorkflowIsSkippedAndSaysSo() async throws {
    let h = try await ServerHarness()
    var info = try await h.session.server.client.objectInfo().objectValue ?? [:]
    info.removeValue(forKey: "ImageInvert")
    let lacking = try await Self.simulator(catalog: .object(info))
    try await PoolCommand.activate(
      name: "mixed", members: [lacking.baseURL, h.simulator.baseURL], session: h.session)
    await h.loadBasic(color: 0)
    _ = await h.ok("seed 1.color increment")
    _ = await h.ok("run --count 4")
    #expect(h.output.stderr.contains("\(lacking.baseURL) has no ImageInvert: skipped for this workflow"))
    #expect(await h.ok("watch").hasPrefix("sweep of 4 prompts: 4 succeeded"))
    #expect(try await Self.succeededColors(lacking.baseURL).isEmpty)
    #expect(try await Self.succeededColors(h.simulator.baseURL).sorted() == [1, 2, 3, 4])
    await h.session.server.shutdown()
    await h.close()
    await lacking.stop()
  }

  @Test func aPromptThatFailsByItselfIsReportedNotRetried() async throws {
    let h = try await ServerHarness()
    let other = try await Self.simulator()
    try await PoolCommand.activate(
      name: "two", members: [h.simulator.baseURL, other.baseURL], session: h.session)
    // SaveImage refuses to write outside the output folder: an execution error at run time.
    await h.loadBasic(color: 0, prefix: "../../outside")
    _ = await h.ok("seed 1.color increment")
    _ = await h.ok("run --count 3")
    let message = await h.fails("watch")
    #expect(message.contains("3 of 3 prompts did not succeed"), "\(message)")
    let listed = h.output.stdout
    #expect(listed.hasPrefix("sweep of 3 prompts: 0 succeeded, 3 did not in "), "\(listed)")
    #expect(
      listed.contains("  failed: ") && listed.contains("node 3 (SaveImage): **** ERROR: Saving image outside")
    )
    let pool = try #require(h.session.server.pool)
    #expect(pool.jobs.allSatisfy { $0.moves.isEmpty }, "an execution error is not retried")
    #expect(pool.members.allSatisfy({ $0.isUp }))
    let posted = (h.simulator.receivedRequests + other.receivedRequests).filter {
      $0.hasPrefix("POST /prompt")
    }
    #expect(posted.count == 3)
    await h.session.server.shutdown()
    await h.close()
    await other.stop()
  }

  @Test func aMemberKilledMidSweepHasItsPromptsMovedAndEachFinishesOnce() async throws {
    let h = try await ServerHarness(stepDelay: .milliseconds(5))
    let doomed = try await Self.simulator()
    try await PoolCommand.activate(
      name: "two", members: [h.simulator.baseURL, doomed.baseURL], session: h.session)
    await h.loadBasic(color: 0)
    _ = await h.ok("seed 1.color increment")
    let pool = try #require(h.session.server.pool)
    let sweep = Task { await h.ok("run --count 24") }
    // Let the doomed member finish a few, then hold its next ones so that some are surely unfinished.
    while pool.members[1].succeeded < 3 { try await Task.sleep(for: .milliseconds(20)) }
    doomed.setFaults(SimulatorFaults(heldNodes: ["SaveImage"]))
    while pool.members[1].inFlight.count < 2 { try await Task.sleep(for: .milliseconds(20)) }
    let finishedThere = pool.jobs.filter { $0.member == 1 && $0.outcome == .success }.count
    await doomed.stop()
    _ = await sweep.value
    let watched = await h.ok("watch")
    // The moves are notices: they may come while `watch` runs, above its totals.
    #expect(
      watched.split(separator: "\n").contains { $0.hasPrefix("sweep of 24 prompts: 24 succeeded in ") },
      "\(watched)")
    #expect(watched.contains("moved from \(doomed.baseURL) to \(h.simulator.baseURL) as "))
    #expect(!pool.members[1].isUp)
    let moves = pool.jobs.flatMap({ $0.moves })
    #expect(moves.count >= 2, "the held prompts moved")
    #expect(moves.allSatisfy { $0.fromMember == doomed.baseURL && $0.toMember == h.simulator.baseURL })
    // Exactly once: the survivor's history and what the killed member had finished cover each colour once.
    let survivor = try await Self.succeededColors(h.simulator.baseURL)
    let killed = pool.jobs.filter { $0.member == 1 && $0.outcome == .success }.compactMap {
      $0.workflow.json["1"]?["inputs"]?["color"]?.numberValue.flatMap { Int($0.text) }
    }
    #expect(killed.count == finishedThere)
    #expect((survivor + killed).sorted() == Array(1...24))
    await h.session.server.shutdown()
    await h.close()
  }

  @Test func aMemberThatRestartedWithItsQueueGoneHasItsPromptsMoved() async throws {
    let h = try await ServerHarness(stepDelay: .milliseconds(5))
    let first = try await Self.simulator()
    // The member's address is a proxy's, so that a "restart" keeps the address without reusing a port.
    let proxy = try FaultProxy(upstreamPort: first.port)
    try await PoolCommand.activate(
      name: "two", members: [h.simulator.baseURL, proxy.url], session: h.session)
    await h.loadBasic(color: 0)
    _ = await h.ok("seed 1.color increment")
    let pool = try #require(h.session.server.pool)
    first.setFaults(SimulatorFaults(heldNodes: ["SaveImage"]))
    let sweep = Task { await h.ok("run --count 20") }
    while pool.members[1].inFlight.count < 2 { try await Task.sleep(for: .milliseconds(20)) }
    // The same address answers again within the grace period, but it knows nothing of its prompts.
    let restarted = try await Self.simulator()
    proxy.restartUpstream(on: restarted.port)
    await first.stop()
    _ = await sweep.value
    let watched = await h.ok("watch")
    #expect(
      watched.split(separator: "\n").contains { $0.hasPrefix("sweep of 20 prompts: 20 succeeded in ") },
      "\(watched)")
    #expect(!pool.members[1].isUp)
    #expect(
      pool.members[1].downReason?.contains("no longer knows prompt") == true,
      "\(pool.members[1].downReason ?? "")")
    #expect(pool.jobs.flatMap { $0.moves }.count >= 2)
    let survivor = try await Self.succeededColors(h.simulator.baseURL)
    let before = pool.jobs.filter { $0.member == 1 && $0.outcome == .success }.count
    #expect(survivor.count + before == 20 && Set(survivor).count == survivor.count)
    #expect(try await Self.succeededColors(restarted.baseURL).isEmpty, "nothing was posted to it again")
    await h.session.server.shutdown()
    await h.close()
    proxy.stop()
    await restarted.stop()
  }

  @Test func aPoolSweepRecordingReplaysOnOneServerAndOnAnotherPool() async throws {
    let h = try await ServerHarness()
    let other = try await Self.simulator()
    try await PoolCommand.activate(
      name: "two", members: [h.simulator.baseURL, other.baseURL], session: h.session)
    _ = h.write("basic.json", ServerHarness.basic(color: 0, prefix: "replay"))
    _ = await h.ok(
      "record sweep.comfy\nload basic.json\nseed 1.color increment\nrun --count 6\nwatch\nrecord stop")
    let recorded = try #require(h.shell.read("sweep.comfy"))
    #expect(recorded.contains("#> sweep of 6 prompts: 6 succeeded in "), "\(recorded)")
    #expect(!recorded.contains("pool two"), "the distribution is not recorded")
    await h.session.server.shutdown()

    // On one server, no pool.
    let single = try await ServerHarness()
    let onOne = await TranscriptCheck.run(
      path: h.shell.folder + "/sweep.comfy", update: false, interpreter: single.shell.interpreter)
    #expect(onOne == 0, "\(single.output.stdout)")
    // On another pool of two fresh simulators.
    let pooled = try await ServerHarness()
    let third = try await Self.simulator()
    try await PoolCommand.activate(
      name: "again", members: [pooled.simulator.baseURL, third.baseURL], session: pooled.session)
    let onPool = await TranscriptCheck.run(
      path: h.shell.folder + "/sweep.comfy", update: false, interpreter: pooled.shell.interpreter)
    #expect(onPool == 0, "\(pooled.output.stdout)")
    #expect(pooled.session.server.pool?.members.allSatisfy { $0.succeeded > 0 } == true)
    await pooled.session.server.shutdown()
    await single.close()
    await pooled.close()
    await h.close()
    await other.stop()
    await third.stop()
  }
}
