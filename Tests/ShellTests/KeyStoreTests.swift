import Testing

@testable import Shell
@testable import Workflow

#if canImport(Glibc)
import Glibc
#endif

/// keys.json: atomic 0600 writes in a 0700 folder, and ssh-like refusal of stores others can open.
@MainActor
@Suite struct KeyStoreTests {
  @Test func addWritesA0600FileInA0700FolderAtomically() async throws {
    let h = KeyHarness()
    #expect(!FileIO.exists(h.config))
    await h.add("work", TestKeys.work)
    #expect(h.mode(h.config) == 0o700)
    #expect(h.mode(h.storePath) == 0o600)
    // Only keys.json: the temporary file was renamed over it, nothing is left behind.
    #expect(listFolder(h.config) == ["keys.json"])
    let json = try JSONValue.parse(h.storeText ?? "")
    #expect(json["keys"]?["work"]?["key"]?.stringValue == TestKeys.work)
    #expect(json["version"] == 1)

    // A second write replaces the file (new inode) and keeps the mode.
    let before = inode(h.storePath)
    await h.add("ci", TestKeys.ci)
    #expect(inode(h.storePath) != before)
    #expect(h.mode(h.storePath) == 0o600)
    #expect(listFolder(h.config) == ["keys.json"])
    let names = try JSONValue.parse(h.storeText ?? "")["keys"]?.objectValue.map { Array($0.keys) }
    #expect(names == ["work", "ci"])
  }

  @Test func aGroupReadableStoreIsRefusedWithTheChmodThatFixesIt() async throws {
    let h = KeyHarness()
    await h.add("work", TestKeys.work)
    h.chmod(h.storePath, 0o644)

    let list = await h.ok("key list")
    #expect(list.contains("in use: none, because refusing the key store"))
    #expect(
      h.shell.output.stderr.contains(
        "mode 0644 and other users can read it; fix it with: chmod 600 \(h.storePath)"))
    let use = await h.fails("key use work")
    #expect(use.contains("chmod 600 \(h.storePath)"))
    h.feed.pipe(TestKeys.ci)
    #expect(await h.fails("key add ci --stdin").contains("chmod 600 \(h.storePath)"))
    #expect(await h.fails("key rm work").contains("chmod 600"))
    #expect(throws: KeyError.self) { try h.session.apiKeyForRun() }
    // Nothing was rewritten, and the refused file's keys are still masked.
    #expect(h.mode(h.storePath) == 0o644)
    #expect(await h.ok("echo \(TestKeys.work)") == "comfyui-87d0…c1f2\n")

    h.chmod(h.storePath, 0o600)
    #expect(await h.ok("key use work") == "using key work\n")
    #expect(try h.session.apiKeyForRun()?.key == TestKeys.work)
  }

  @Test func storesOthersCanChangeAreRefusedToo() async {
    let h = KeyHarness()
    await h.add("work", TestKeys.work)
    h.chmod(h.storePath, 0o620)
    #expect(
      await h.fails("key use work").contains(
        "mode 0620 and other users can change it; fix it with: chmod 600"))
    h.chmod(h.storePath, 0o400)
    #expect(await h.ok("key use work") == "using key work\n", "a stricter mode than 0600 is fine")
  }

  @Test func anOpenFolderIsRefusedWithTheChmodThatFixesIt() async {
    let h = KeyHarness()
    await h.add("work", TestKeys.work)
    h.chmod(h.config, 0o755)
    let message = await h.fails("key use work")
    #expect(message.contains("the folder \(h.config) has mode 0755 and other users can read it"))
    #expect(message.contains("fix it with: chmod 700 \(h.config)"))
    h.feed.pipe(TestKeys.ci)
    #expect(await h.fails("key add ci --stdin").contains("chmod 700 \(h.config)"))
    #expect(!(h.storeText ?? "").contains(TestKeys.ci))

    h.chmod(h.config, 0o700)
    #expect(await h.ok("key use work") == "using key work\n")
  }

  @Test func aNewStoreInAnExistingOpenFolderIsRefused() async {
    let h = KeyHarness()
    try? FileIO.createFolder(h.config, mode: 0o755)
    h.chmod(h.config, 0o755)
    h.feed.pipe(TestKeys.work)
    #expect(await h.fails("key add work --stdin").contains("chmod 700 \(h.config)"))
    #expect(!FileIO.exists(h.storePath))
  }

  @Test func aSymbolicLinkIsRefused() async throws {
    let h = KeyHarness()
    await h.add("work", TestKeys.work)
    let elsewhere = h.shell.folder + "/elsewhere.json"
    _ = rename(h.storePath, elsewhere)
    _ = symlink(elsewhere, h.storePath)
    let other = h.newSession()
    #expect(await other.fails("key use work").contains("is a symbolic link"))
  }

  @Test func invalidStoresSayWhereButNeverQuoteTheFile() async throws {
    let h = KeyHarness()
    try FileIO.createFolder(h.config, mode: 0o700)
    try FileIO.writeAtomically(
      h.storePath, text: "{\"keys\": {\"work\": {\"key\": \"\(TestKeys.work)\"}", mode: 0o600)
    let other = h.newSession()
    let message = await other.fails("key use work")
    #expect(message.contains("\(h.storePath) is not valid JSON (line 1, column"))
    #expect(!message.contains("a1b2a1b2"))

    try FileIO.writeAtomically(h.storePath, text: "{\"keys\": {\"work\": {\"value\": \"x\"}}}", mode: 0o600)
    #expect(await other.fails("key use work").contains("key work needs \"key\" (the key) or \"env\""))
  }

  @Test func twoSessionsNeverDropEachOthersKeys() async throws {
    let a = KeyHarness()
    let b = a.newSession()
    await a.add("work", TestKeys.work)
    await b.add("ci", TestKeys.ci)
    let json = try JSONValue.parse(a.storeText ?? "")
    #expect(json["keys"]?.objectValue.map { Array($0.keys) } == ["work", "ci"])
    // A sees B's key without restarting.
    #expect(await a.ok("key use ci") == "using key ci\n")
  }

  @Test func storeFormatRoundTrips() throws {
    let contents = KeyStoreContents(
      entries: [
        .init(name: "work", value: .secret(TestKeys.work)), .init(name: "ci", value: .environment("CI_KEY")),
      ],
      defaultName: "work")
    let store = KeyStore(folder: "/nonexistent")
    let text = KeyStore.serialize(contents)
    #expect(
      text == """
        {
          "version": 1,
          "default": "work",
          "keys": {
            "work": {
              "key": "\(TestKeys.work)"
            },
            "ci": {
              "env": "CI_KEY"
            }
          }
        }

        """)
    #expect(try store.parse(Array(text.utf8)) == contents)
  }

  @Test func pathsInAdviceAreQuotedForTheShell() {
    #expect(KeyStore.quote("/home/me/.config/comfysh") == "/home/me/.config/comfysh")
    #expect(KeyStore.quote("/home/my name/it's") == "'/home/my name/it'\\''s'")
  }

  private func listFolder(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  private func inode(_ path: String) -> UInt {
    var info = stat()
    guard stat(path, &info) == 0 else { return 0 }
    return UInt(info.st_ino)
  }
}
