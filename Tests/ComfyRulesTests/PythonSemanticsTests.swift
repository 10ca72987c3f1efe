import Testing
import Workflow

@testable import ComfyRules

/// The server's messages embed Python's own texts; these pin the ones validation reproduces.
@Suite struct PythonSemanticsTests {
  @Test(arguments: [
    (1e16, "1e+16"), (1e15, "1000000000000000.0"), (9_999_999_999_999_998.0, "9999999999999998.0"),
    (0.0001, "0.0001"), (0.00001, "1e-05"), (123_456_789.123, "123456789.123"), (1.5e300, "1.5e+300"),
    (0.1, "0.1"), (100.0, "100.0"), (-0.0, "-0.0"), (2.5e-5, "2.5e-05"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (0.30000000000000004, "0.30000000000000004"), (12_345_678_901_234_567_890.0, "1.2345678901234567e+19"),
    (-8.5, "-8.5"), (Double.infinity, "inf"), (Double.nan, "nan"),
  ])
  func floatRepr(_ value: Double, _ expected: String) {
    #expect(Py.floatRepr(value) == expected)
  }

  @Test func theFastCanonicalChecksNeverDisagreeWithRepr() {
    let floats = [
      "0.5", "7.5", "100.0", "0.10", "1.0", "0.0001", "0.00001", "123456789012345.0", "1234567890123456.0",
      "0.30000000000000004", "-0.0", "0.0", "1e5", "-12.25", "0.123456789012345", "9.999999999999999",
    ]
    for text in floats where Py.isCanonicalFloatText(text) {
      #expect(Py.floatRepr(Py.parseDouble(text)) == text, "\(text)")
    }
    #expect(
      Py.isCanonicalFloatText("7.5") && !Py.isCanonicalFloatText("0.10")
        && !Py.isCanonicalFloatText("0.00001"))
    for text in ["0", "-7", "18446744073709551615"] { #expect(Py.isCanonicalIntText(text)) }
    for text in ["-0", "1.0", "", "-"] { #expect(!Py.isCanonicalIntText(text)) }
  }

  @Test func intConversionMatchesPython() {
    #expect(Py.int("8") == .success("8"))
    #expect(Py.int(" -0012 ") == .success("-12"))
    #expect(Py.int("1_000") == .success("1000"))
    #expect(Py.int("٣") == .success("3"))
    #expect(Py.int(num("8.9")) == .success("8"))
    #expect(Py.int(num("-8.9")) == .success("-8"))
    #expect(Py.int(num("1e20")) == .success("100000000000000000000"))
    #expect(Py.int(num("1e300")).map(\.count) == .success(301))
    #expect(Py.int(true) == .success("1"))
    #expect(Py.int(num("-0")) == .success("0"))
    #expect(Py.int("wide").failureMessage == "invalid literal for int() with base 10: 'wide'")
    #expect(Py.int("8.5").failureMessage == "invalid literal for int() with base 10: '8.5'")
    #expect(Py.int("1__0").failureMessage != nil)
    #expect(
      Py.int(.null).failureMessage
        == "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'")
    #expect(Py.int(num("1e400")).failureMessage == "cannot convert float infinity to integer")
  }

  @Test func floatConversionMatchesPython() {
    #expect(Py.float("1.5") == .success(1.5))
    #expect(Py.float(" .5 ") == .success(0.5))
    #expect(Py.float("5.") == .success(5))
    #expect(Py.float("1_0.2_5") == .success(10.25))
    #expect(Py.float("-Infinity") == .success(-.infinity))
    #expect(Py.float("0x10").failureMessage == "could not convert string to float: '0x10'")
    #expect(Py.float("1e").failureMessage != nil)
    #expect(Py.float("_1").failureMessage != nil)
    #expect(Py.float([1]).failureMessage == "float() argument must be a string or a real number, not 'list'")
  }

  @Test func reprOfTextAndContainers() {
    #expect(Py.repr("it's") == #""it's""#)
    #expect(Py.repr(#"say "hi""#) == #"'say "hi"'"#)
    #expect(Py.repr(#"both ' and ""#) == #"'both \' and "'"#)
    #expect(Py.repr("tab\tnl\n\u{7}é\u{A0}") == #"'tab\tnl\n\x07é\xa0'"#)
    #expect(
      Py.repr(["a", 1, num("2.50"), true, .null, ["k": "v"]]) == "['a', 1, 2.5, True, None, {'k': 'v'}]")
    #expect(Py.str("plain") == "plain")
  }

  @Test func comparisonsAcrossNumbersAndTypes() {
    #expect(
      Py.less(num("18446744073709551615"), num("18446744073709551616"), operator: "<", site: .minimum)
        == .success(true))
    #expect(Py.less(num("-5"), 1, operator: "<", site: .minimum) == .success(true))
    #expect(Py.less(num("0.5"), 1, operator: "<", site: .minimum) == .success(true))
    #expect(Py.less(num("NaN"), 1, operator: "<", site: .minimum) == .success(false))
    #expect(
      Py.less("a", 1, operator: "<", site: .minimum).failureMessage
        == "'<' not supported between instances of 'str' and 'int'")
    #expect(
      Py.less(1, ["x"], operator: ">", site: .maximum).failureMessage
        == "'>' not supported between instances of 'list' and 'int'")
    #expect(Py.equal(1, num("1.0")) && Py.equal(true, 1) && !Py.equal("1", 1))
  }

  @Test func roundTripWritesNumbersAsPythonDoes() {
    #expect(
      Py.roundTrip([num("1E5"), num("-0"), num("2.50"), num("1e400")]) == [
        num("100000.0"), num("0"), num("2.5"), num("Infinity"),
      ])
  }
}

extension Result where Failure == PyException {
  var failureMessage: String? {
    if case .failure(let error) = self { return error.message }
    return nil
  }
}

@Suite("Python text the simulator writes")
struct PythonTextTests {
  @Test("json.dumps text: separators, ASCII escapes, surrogate pairs, numbers kept")
  func pythonJSON() throws {
    let value: JSONValue = [
      "a": [1, .number(JSONNumber(uncheckedText: "0.4000000000000001")), true, nil],
      "é": "line\nbreak \"q\" \\ tab\t 😀 \u{7F}",
    ]
    #expect(
      Py.jsonDumps(value)
        == #"{"a": [1, 0.4000000000000001, true, null], "\u00e9": "line\nbreak \"q\" \\ tab\t \ud83d\ude00 \u007f"}"#
    )
    #expect(try JSONValue.parse(Py.jsonDumps(value)) == value)
  }

  @Test("Python str() of dicts and lists, as current_inputs shows them")
  func pythonRepr() {
    let value: JSONValue = [
      "1": [
        "inputs": ["w": 2, "s": "it's", "f": .number(JSONNumber(uncheckedText: "1e5"))], "x": nil, "b": false,
      ]
    ]
    #expect(
      Py.str(value)
        == #"{'1': {'inputs': {'w': 2, 's': "it's", 'f': 100000.0}, 'x': None, 'b': False}}"#)
    #expect(Py.str("plain") == "plain")
    #expect(Py.reprString("a'b\"c") == #"'a\'b"c'"#)
    #expect(Py.floatRepr(8) == "8.0")
  }
}
