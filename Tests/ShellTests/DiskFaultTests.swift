import TestSupport
import Testing

@testable import Shell
@testable import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs of the test's own (`mount -t tmpfs -o size=16k`), to fill up or make read-only.
/// Mounting needs root (CAP_SYS_ADMIN); without it the tests that need one are skipped and say why.
final class SmallDisk {
  let path: String

  /// Whether this process may mount a tmpfs, found out once by trying.
  static let canMount: Bool = {
    guard let probe = try? SmallDisk() else { return false }
    probe.unmount()
    return true
  }()

  struct MountError: Error { let reason: String }

  init(size: String = "16k") throws {
    path = TemporaryFolder.make()
    guard mount("tmpfs", path, "tmpfs", 0, "size=\(size),mode=0755") == 0 else {
      let reason = String(cString: strerror(errno))
      rmdir(path)
      throw MountError(reason: reason)
    }
  }

  /// Fills what is left with one file until the disk says it is full.
  func fill() {
    let fd = open(path + "/filler", O_WRONLY | O_CREAT | O_APPEND, 0o644)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let block = [UInt8](repeating: 0x2E, count: 512)
    while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
  }

  func makeReadOnly() -> Bool {
    mount("tmpfs", path, "tmpfs", UInt(MS_REMOUNT | MS_RDONLY), "size=16k") == 0
  }

  func unmount() {
    umount2(path, Int32(MNT_DETACH))
    rmdir(path)
  }

  /// The names in the disk's root, without the filler.
  var names: [String] { FileIO.names(in: path).filter { $0 != "filler" }.sorted() }
}

@MainActor
@Suite(.serialized, .enabled(if: SmallDisk.canMount, "mounting a 16k tmpfs needs root (CAP_SYS_ADMIN)"))
struct DiskFaultTests {
  @Test func saveOnAFullDiskKeepsTheOldFileAndTheWorkflow() async throws {
    let disk = try SmallDisk()
    defer { disk.unmount() }
    let h = ShellHarness()
    await h.loadSeed()
    _ = await h.ok("save -f \(disk.path)/x.json")
    let old = try FileIO.read(disk.path + "/x.json")
    disk.fill()
    let prompt = String(repeating: "a lighthouse at dusk ", count: 300)
    _ = await h.ok("set 11.prompt \"\(prompt)\"")
    let message = await h.fails("save")
    #expect(message.contains("cannot write \(disk.path)/x.json: No space left on device"))
    #expect(try FileIO.read(disk.path + "/x.json") == old)
    #expect(disk.names == ["x.json"], "no temporary file is left")
    #expect(h.session.document.isDirty)
    #expect(h.session.workflow["11"]?.input("prompt") == .value(.string(prompt)))
  }

  @Test func recordOnAFullDiskKeepsEveryFinishedCommand() async throws {
    let disk = try SmallDisk()
    defer { disk.unmount() }
    let h = ShellHarness()
    _ = await h.ok("record \(disk.path)/r.comfy")
    let line = String(repeating: "x", count: 500)
    _ = await h.ok("echo 1 \(line)")
    disk.fill()
    // A tmpfs page is 4 KiB: the recording fills the page it has, then cannot grow.
    var stopped = false
    for i in 2...20 where !stopped {
      _ = await h.run("echo \(i) \(line)")
      stopped = h.session.recorder == nil
    }
    #expect(stopped)
    #expect(
      h.output.stderr.contains("the recording to \(disk.path)/r.comfy stopped: No space left on device"))
    #expect(h.interpreter.failures == 1)
    let text = try FileIO.readText(disk.path + "/r.comfy")
    #expect(text.hasSuffix("\n"))
    let transcript = try Transcript(text: text)
    #expect(transcript.entries.count >= 2)
    for (index, entry) in transcript.entries.enumerated() {
      #expect(entry.statement.source == "echo \(index + 1) \(line)")
      #expect(entry.expected == ["\(index + 1) \(line)"])
    }
  }

  @Test func keyStoreOnAFullDiskKeepsTheKeysItHad() async throws {
    let disk = try SmallDisk()
    defer { disk.unmount() }
    let store = KeyStore(folder: disk.path + "/comfysh")
    let first = KeyStoreContents(entries: [
      .init(name: "work", value: .secret("comfyui-" + String(repeating: "1", count: 40)))
    ])
    try store.save(first)
    disk.fill()
    var second = first
    second.entries.append(.init(name: "big", value: .secret(String(repeating: "2", count: 6000))))
    #expect(throws: KeyError.self) { try store.save(second) }
    #expect(try store.load() == first)
    #expect(FileIO.names(in: disk.path + "/comfysh") == ["keys.json"])
  }

  @Test func aReadOnlyFolderRefusesWritesAndKeepsFiles() async throws {
    let disk = try SmallDisk()
    defer { disk.unmount() }
    let h = ShellHarness()
    await h.loadSeed()
    _ = await h.ok("save -f \(disk.path)/x.json")
    let store = KeyStore(folder: disk.path + "/comfysh")
    let keys = KeyStoreContents(entries: [.init(name: "work", value: .environment("WORK_KEY"))])
    try store.save(keys)
    let old = try FileIO.read(disk.path + "/x.json")
    #expect(disk.makeReadOnly())
    _ = await h.ok("set 11.seed 7")
    #expect(await h.fails("save").contains("Read-only file system"))
    #expect(await h.fails("record \(disk.path)/r.comfy").contains("Read-only file system"))
    #expect(throws: KeyError.self) { try store.save(KeyStoreContents()) }
    #expect(try FileIO.read(disk.path + "/x.json") == old)
    #expect(try store.load() == keys)
    #expect(h.session.workflow["11"]?.input("seed") == .value(7))
  }

  @Test func aFolderThatDisappearsFailsTheSaveAndKeepsTheWorkflow() async throws {
    let h = ShellHarness()
    await h.loadSeed()
    try FileIO.createFolder(h.folder + "/gone")
    _ = await h.ok("save -f gone/x.json; set 11.seed 9")
    #expect(unlink(h.folder + "/gone/x.json") == 0 && rmdir(h.folder + "/gone") == 0)
    #expect(await h.fails("save").contains("No such file or directory"))
    #expect(h.session.document.isDirty)
    #expect(h.session.workflow["11"]?.input("seed") == .value(9))
  }
}
