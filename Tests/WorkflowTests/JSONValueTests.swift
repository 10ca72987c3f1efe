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
    let value = try JSONValue.parse("{" + members.joined(separator: ", ") + "}")
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
