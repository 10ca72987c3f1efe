import TestSupport
import Testing

@testable import Workflow

@Suite struct JSONValueTests {
  @Test(arguments: [
    "18446744073709551615", "0.4000000000000001", "-0", "1e400", "1E-7", "589991183902375", "0", "-12.50",
  ])
  func numbersKeepTheirText(_ text: String) throws {
    let value = try JSONValue.parse("[\(text)]")
    #expect(value == .array([.number(JSONNumber(uncheckedText: text))]))
    #expect(value.serialized() == "[\(text)]")
  }

  @Test func objectKeyOrderIsKept() throws {
    let text = #"{"z":1,"a":2,"m":{"b":true,"a":null}}"#
    let value = try JSONValue.parse(text)
    #expect(value.objectValue.map { Array($0.keys) } == ["z", "a", "m"])
    #expect(value.serialized() == text)
  }

  @Test func stringEscapesAndNonASCIIRoundTrip() throws {
    let text =
      #"["quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f ctl \u0001 é 日本 😀 \ud83d\ude00 \u00e9"]"#
    let value = try JSONValue.parse(text)
    #expect(
      value.arrayValue?.first?.stringValue
        == "quote \" backslash \\ slash / tab \t nl \n cr \r bs \u{8} ff \u{c} ctl \u{1} é 日本 😀 😀 é")
    let again = try JSONValue.parse(value.serialized())
    #expect(again == value)
    #expect(
      value.serialized()
        == #"["quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f ctl \u0001 é 日本 😀 😀 é"]"#)
  }

  @Test func indentedLayoutMatchesJSONStringify() throws {
    let value = try JSONValue.parse(#"{"a":[1,["2",0]],"b":{},"c":[],"d":{"e":"f"}}"#)
    #expect(
      value.serialized(.indented(2)) == """
        {
          "a": [
            1,
            [
              "2",
              0
            ]
          ],
          "b": {},
          "c": [],
          "d": {
            "e": "f"
          }
        }
        """)
  }

  @Test(arguments: [
    ("", "empty"), ("{", "ends inside an object"), (#"{"a" 1}"#, "expected ':'"),
    ("[1,]", "expected a JSON value"),
    ("01", "leading zeros"), (#""abc"#, "closing"), ("[1] x", "after the end"), ("NaN", "NaN"),
    (#""\x""#, "unknown escape"),
    ("{\"a\":1,}", "member name"), ("\"a\u{01}\"", "control character"),
  ])
  func malformedJSONIsRejectedWithAReason(_ text: String, _ reason: String) {
    #expect {
      try JSONValue.parse(text)
    } throws: { error in
      "\(error)".contains(reason)
    }
  }

  @Test func errorsNameLineAndColumn() {
    #expect {
      try JSONValue.parse("{\n  \"a\": 1\n  \"b\": 2\n}")
    } throws: { error in
      guard let e = error as? JSONParseError else { return false }
      return e.line == 3 && e.column == 3
    }
  }

  @Test func numericEqualityComparesValues() throws {
    #expect(JSONValue.number(JSONNumber(uncheckedText: "1.0")).numericallyEqual(to: .int(1)))
    #expect(JSONValue.number(JSONNumber(uncheckedText: "1.0")) != .int(1))
    #expect(!JSONValue.int(2).numericallyEqual(to: .int(1)))
  }

  @Test func numberGrammar() {
    for good in ["0", "-1", "1.5", "1e5", "1E+5", "-0.0e-0"] { #expect(JSONNumber.isValid(good), "\(good)") }
    for bad in ["", "-", "01", "1.", ".5", "+1", "1e", "0x10", "1_000", "Infinity"] {
      #expect(!JSONNumber.isValid(bad), "\(bad)")
    }
  }

  /// Every recorded JSON file parses and re-serialises to the same JSON, key order and number text included.
  @Test(needsFixtures) func everyFixtureRoundTrips() throws {
    let files = Fixtures.files(endingWith: ".json")
    #expect(files.count > 80)
    for file in files {
      let value = try Fixtures.json(file)
      let compact = value.serialized()
      #expect(try JSONValue.parse(compact) == value, "\(file)")
      #expect(try JSONValue.parse(value.serialized(.indented(2))) == value, "\(file)")
    }
    var lines = 0
    for file in Fixtures.files(endingWith: ".jsonl") {
      let text = String(decoding: try Fixtures.read(file), as: UTF8.self)
      for line in text.split(separator: "\n") where !line.isEmpty {
        let value = try JSONValue.parse(String(line))
        #expect(try JSONValue.parse(value.serialized()) == value, "\(file)")
        lines += 1
      }
    }
    #expect(lines > 100)
  }

  /// The indent-1 object_info keeps its exact number text, e.g. the seed max.
  @Test(needsFixtures) func objectInfoKeepsHugeNumbers() throws {
    let info = try Fixtures.json("object_info.json")
    let seedMax = info["KSampler"]?["input"]?["required"]?["seed"]?.arrayValue?[1]["max"]
    #expect(seedMax == .number(JSONNumber(uncheckedText: "18446744073709551615")))
  }
}

@Suite struct JSONNumberFromDoubleTests {
  @Test func nonFiniteDoublesAreNeverWritten() {
    #expect(JSONNumber(Double.nan) == nil)
    #expect(JSONNumber(Double.infinity) == nil)
    #expect(JSONNumber(-Double.infinity) == nil)
    #expect(JSONValue.double(.nan) == .null)
    #expect(JSONValue.double(2.5).serialized() == "2.5")
    #expect(JSONValue.double(3).serialized() == "3")
    #expect(JSONNumber(1e-7).map { JSONNumber.isValid($0.text) } == true)
  }
}

@Suite struct JSONDuplicateNameTests {
  /// A name given twice keeps its first place and its last value, as `json.loads` and `JSON.parse` do,
  /// in small objects (compared pairwise) and large ones (through a set).
  @Test(arguments: [3, 16, 17, 40]) func aRepeatedNameKeepsItsPlaceAndTakesTheLastValue(count: Int) throws {
    var members = (0..<count).map { "\"k\($0)\": \($0)" }
    members.append("\"k1\": \"last\"")
    let text = "{" + members.joined(separator: ", ") + "}"
    // Also past 4 KB, where names are told apart by their ids in the reader's string table.
    #expect(try JSONValue.parse(text + String(repeating: " ", count: 4096)) == JSONValue.parse(text))
    let value = try JSONValue.parse(text)
    let object = try #require(value.objectValue)
    #expect(object.keys.elements == (0..<count).map { "k\($0)" })
    #expect(object["k1"] == .string("last"))
    #expect(object["k0"] == .int(0))
    #expect(value.serialized().hasPrefix(#"{"k0":0,"k1":"last""#))
  }

  @Test func nestedObjectsAtEveryLevelKeepTheirOwnMembers() throws {
    let text = #"{"a": {"x": 1, "y": {"p": [1, {"q": 2}], "r": 3}}, "b": {"x": 4}, "c": {}}"#
    #expect(
      try JSONValue.parse(text).serialized()
        == #"{"a":{"x":1,"y":{"p":[1,{"q":2}],"r":3}},"b":{"x":4},"c":{}}"#)
  }
}

/// The reader's fast paths: strings scanned eight bytes at a time, short strings read once per
/// distinct text, and members gathered on shared stacks.
@Suite struct JSONReaderPathTests {
  /// Reads `text` as it is and padded past 4 KB, where the reader starts sharing strings; both must
  /// give the same value.
  func parsedBothWays(_ text: String) throws -> JSONValue {
    let small = try JSONValue.parse(text)
    let large = try JSONValue.parse(text + String(repeating: " ", count: 4096))
    #expect(small == large)
    #expect(small.serialized() == large.serialized())
    return large
  }

  /// A quote, backslash or control character at every offset of the first two eight-byte words.
  @Test(arguments: 0..<20) func aStringEndsOrEscapesAtEveryOffset(offset: Int) throws {
    let prefix = String(repeating: "a", count: offset)
    let plain = try parsedBothWays("[\"\(prefix)\", 1]")
    #expect(plain == .array([.string(prefix), .int(1)]))
    let escaped = try parsedBothWays("[\"\(prefix)\\\"b\"]")
    #expect(escaped == .array([.string(prefix + "\"b")]))
    for padding in [0, 4096] {
      #expect {
        try JSONValue.parse("[\"\(prefix)\u{1F}b\"]" + String(repeating: " ", count: padding))
      } throws: { error in
        (error as? JSONParseError).map { $0.line == 1 && $0.column == offset + 3 } ?? false
      }
    }
  }

  /// Names spelled with an escape are the same name as those without, and long names (not shared
  /// through the table) are compared by text.
  @Test func repeatedNamesAreFoundHoweverTheyAreWritten() throws {
    let escaped = try #require(try parsedBothWays(#"{"ab": 1, "c": 2, "a\u0062": 3}"#).objectValue)
    #expect(escaped.keys.elements == ["ab", "c"])
    #expect(escaped["ab"] == .int(3))
    let long = String(repeating: "n", count: 40)
    let longNames = try #require(try parsedBothWays(#"{"\#(long)": 1, "x": 2, "\#(long)": 3}"#).objectValue)
    #expect(longNames.keys.elements == [long, "x"])
    #expect(longNames[long] == .int(3))
    let distinct = try #require(try parsedBothWays(#"{"\#(long)": 1, "a\u0062": 2, "ab2": 3}"#).objectValue)
    #expect(distinct.keys.elements == [long, "ab", "ab2"])
  }

  /// The same name in sibling and nested objects is not a repeat within one object.
  @Test func aNameSharedBetweenObjectsIsNotARepeat() throws {
    let text =
      #"{"1":{"inputs":{"image":["2",0]},"class_type":"A"},"2":{"inputs":{"inputs":1},"class_type":"A"}}"#
    let value = try parsedBothWays(text)
    #expect(value.serialized() == text)
    #expect(value["2"]?["inputs"]?["inputs"] == .int(1))
  }

  @Test func sharedTextsKeepTheirOwnValues() throws {
    let text = #"["same", "same", 512, "512", 512.0, "sa", "same but longer than thirty-two bytes", "same"]"#
    let value = try parsedBothWays(text)
    #expect(
      value
        == .array([
          "same", "same", .int(512), "512", .number(JSONNumber(uncheckedText: "512.0")), "sa",
          "same but longer than thirty-two bytes", "same",
        ]))
  }

  /// Ill-formed UTF-8 reads as U+FFFD wherever it is, also when the same bytes come again.
  @Test func illFormedBytesAreRepairedEveryTime() throws {
    let bytes = Array(#"{"a":""#.utf8) + [0xFF] + Array(#"","b":""#.utf8) + [0xFF] + Array(#""}"#.utf8)
    #expect(try JSONValue.parse(bytes: bytes) == ["a": "\u{FFFD}", "b": "\u{FFFD}"])
    let padded = bytes + Array(repeating: UInt8(ascii: " "), count: 4096)
    #expect(try JSONValue.parse(bytes: padded) == ["a": "\u{FFFD}", "b": "\u{FFFD}"])
  }

  @Test func nonASCIIAndSurrogatePairsInShortAndLongStrings() throws {
    let text = #"["é", "é", "😀", "\ud83d\ude00", "\ud800", "日本語のテキストは三十二バイトより長い"]"#
    let value = try parsedBothWays(text)
    #expect(value == ["é", "é", "😀", "😀", "\u{FFFD}", "日本語のテキストは三十二バイトより長い"])
  }

  /// Many distinct short strings (the table grows several times) and lists and objects nested deep.
  @Test func manyStringsAndDeepNesting() throws {
    let members = (0..<5000).map { "\"k\($0)\": [\"v\($0 % 7)\", \($0)]" }
    let object = try #require(try JSONValue.parse("{" + members.joined(separator: ",") + "}").objectValue)
    #expect(object.count == 5000)
    #expect(object["k4999"] == ["v1", .int(4999)])
    let deep = String(repeating: #"{"a":["#, count: 256) + "1" + String(repeating: "]}", count: 256)
    let parsed = try JSONValue.parse(deep)
    #expect(parsed.serialized() == deep)
    #expect {
      try JSONValue.parse(String(repeating: "[", count: 513) + String(repeating: "]", count: 513))
    } throws: { error in
      "\(error)".contains("deeper than 512")
    }
  }
}
