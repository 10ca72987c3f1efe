import Testing

@testable import LineEditor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct HistoryFileTests {
  /// A fresh folder path under /tmp (not created).
  func scratchPath() -> String {
    "/tmp/lineeditor-tests-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
  }

  func mode(_ path: String) -> mode_t? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o777
  }

  func removeTree(_ root: String) {
    // Only paths this suite created: root/a/b/history (+ possible temporary file).
    for path in [root + "/a/b/history", root + "/a/b", root + "/a", root] {
      _ = unlink(path)
      _ = rmdir(path)
    }
  }

  @Test(arguments: ["plain", "back\\slash", "two\nlines", "cr\r", "set 11.prompt \"日本 é\"", "\\n literal"])
  func encodingRoundTrips(entry: String) {
    let encoded = HistoryFile.encode(entry)
    #expect(!encoded.contains("\n") && !encoded.contains("\r"))
    #expect(HistoryFile.decode(Substring(encoded)) == entry)
  }

  @Test func decodingKeepsUnknownEscapes() {
    #expect(HistoryFile.decode("a\\tb") == "a\\tb")
    #expect(HistoryFile.decode("end\\") == "end\\")
    #expect(HistoryFile.encode("a\\n") == "a\\\\n")
  }

  @Test func parseSkipsBlankLines() {
    #expect(HistoryFile.parse("one\n\ntwo\\nlines\n") == ["one", "two\nlines"])
    #expect(HistoryFile.render(["a", "b\nc"]) == "a\nb\\nc\n")
  }

  @Test func trimmingKeepsTheNewestWithoutAdjacentRepeats() {
    #expect(HistoryFile.trimmed(["a", "b", "b", "c", "a"], limit: 3) == ["b", "c", "a"])
    #expect(HistoryFile.trimmed(["a", "b"], limit: 0) == [])
  }

  @Test func appendCreatesPrivateFolderAndFileAndLoadReadsThem() throws {
    let root = scratchPath()
    defer { removeTree(root) }
    let path = root + "/a/b/history"
    #expect(HistoryFile.load(path: path) == [])
    #expect(HistoryFile.append("load flux.json", path: path))
    #expect(HistoryFile.append("set 11.prompt \"two\nlines\"", path: path))
    #expect(HistoryFile.load(path: path) == ["load flux.json", "set 11.prompt \"two\nlines\""])
    #expect(mode(path) == 0o600)
    #expect(mode(root + "/a/b") == 0o700)
    #expect(mode(root + "/a") == 0o700)
  }

  @Test func prepareCreatesTheFileAndMakesAnExistingOnePrivate() throws {
    let root = scratchPath()
    defer { removeTree(root) }
    let path = root + "/a/b/history"
    #expect(HistoryFile.prepare(path: path))
    #expect(mode(path) == 0o600)
    #expect(mode(root + "/a") == 0o700)
    #expect(HistoryFile.load(path: path) == [])
    #expect(chmod(path, 0o644) == 0)
    #expect(HistoryFile.append("kept", path: path))
    #expect(HistoryFile.prepare(path: path))
    #expect(mode(path) == 0o600)
    #expect(HistoryFile.load(path: path) == ["kept"])
  }

  @Test func compactionKeepsTheNewestEntries() throws {
    let root = scratchPath()
    defer { removeTree(root) }
    let path = root + "/a/b/history"
    for index in 1...12 { HistoryFile.append("cmd \(index)", path: path) }
    #expect(HistoryFile.compact(path: path, limit: 20))
    #expect(HistoryFile.load(path: path).count == 12)
    #expect(HistoryFile.compact(path: path, limit: 5))
    #expect(HistoryFile.load(path: path) == ["cmd 8", "cmd 9", "cmd 10", "cmd 11", "cmd 12"])
    #expect(mode(path) == 0o600)
  }
}
