import Testing

@testable import LineEditor

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct DisplayWidthTests {
  @Test(
    arguments: [
      ("a", 1), ("é", 1), ("ß", 1), ("日", 2), ("語", 2), ("한", 2), ("Ａ", 2), ("😀", 2), ("🦊", 2),
      ("\u{301}", 0), ("\u{20DD}", 0), ("\u{200B}", 0), ("\u{1161}", 0), ("\u{AD}", 1), ("€", 1),
      ("\u{7}", -1), ("\u{7F}", -1), ("\u{85}", -1), ("\u{378}", -1), ("\u{E000}", 1),
      ("\u{600}", 1), ("\u{4DC0}", 2), ("\u{3248}", 2), ("\u{D7B0}", 0), ("\u{D7C7}", -1),
    ] as [(Unicode.Scalar, Int)])
  func scalarWidth(scalar: Unicode.Scalar, expected: Int) {
    #expect(DisplayWidth.of(scalar) == expected, "U+\(String(scalar.value, radix: 16, uppercase: true))")
  }

  @Test func stringWidthCountsWideCharactersTwiceAndMarksNot() {
    #expect(DisplayWidth.of("comfy> ") == 7)
    #expect(DisplayWidth.of("日本語abc") == 9)
    #expect(DisplayWidth.of("e\u{301}te\u{301}") == 3)
    #expect(DisplayWidth.of("a\u{7}b") == 2)
    #expect(DisplayWidth.of("") == 0)
  }

  /// libedit measures with the C library's wcwidth; the table must agree with it, or rows
  /// computed for output above the prompt would differ from what libedit drew.
  @Test func agreesWithTheCLibraryInUTF8() throws {
    let locale = try #require(newlocale(LC_CTYPE_MASK, "C.UTF-8", nil))
    let previous = uselocale(locale)
    defer {
      uselocale(previous)
      freelocale(locale)
    }
    var mismatches: [String] = []
    for value in UInt32(1)...0x10FFFF {
      guard let scalar = Unicode.Scalar(value) else { continue }
      // Characters newer than the C library's Unicode tables are unknown to it.
      if let age = scalar.properties.age, age.major > 14 { continue }
      let expected = Terminal.libcWidth(scalar)
      let actual = DisplayWidth.of(scalar)
      if expected != actual {
        mismatches.append("U+\(String(value, radix: 16, uppercase: true)): libc \(expected), ours \(actual)")
      }
    }
    #expect(mismatches.isEmpty, "\(mismatches.count) differences, e.g. \(mismatches.prefix(20))")
  }
}
