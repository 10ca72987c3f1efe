import Testing

@testable import Shell

@Suite struct ParserTests {
  func words(_ text: String) throws -> [[String]] {
    try Parser.parse(text).map { statement in
      guard case .command(let words, _, _) = statement else { return ["<for>"] }
      return words.map(\.raw)
    }
  }

  @Test func splitsWordsAndStatements() throws {
    #expect(try words("set 11.seed 42; run") == [["set", "11.seed", "42"], ["run"]])
    #expect(try words("  nodes  \n\n show 11 # comment\n# whole line\n") == [["nodes"], ["show", "11"]])
    #expect(try words("") == [])
  }

  @Test func quotesAndJSONStayOneWord() throws {
    #expect(try words(#"set 11.prompt "a b; c # d""#) == [["set", "11.prompt", #""a b; c # d""#]])
    #expect(try words("set 11.prompt 'it''s'") == [["set", "11.prompt", "'it''s'"]])
    #expect(try words(#"set 3.x [1, "a]", {"b": [2]}]"#) == [["set", "3.x", #"[1, "a]", {"b": [2]}]"#]])
    #expect(try words(#"set @"Save Image".images 11:0"#) == [["set", #"@"Save Image".images"#, "11:0"]])
    #expect(try words(#"add SaveImage images=["11", 0]"#) == [["add", "SaveImage", #"images=["11", 0]"#]])
  }

  @Test func segmentsKeepQuoting() throws {
    let statements = try Parser.parse(#"x @"Save Image".images 'lit' a"b""#)
    guard case .command(let w, _, _) = statements.first else { throw ShellError("no command") }
    #expect(w[1].segments == [.bare("@"), .double("Save Image"), .bare(".images")])
    #expect(w[2].segments == [.single("lit")])
    #expect(w[3].segments == [.bare("a"), .double("b")])
  }

  @Test func forLoopsOnOneLineAndAsBlocks() throws {
    let one = try Parser.parse("for s in 1 2 3 { set 3.seed $s; run }")
    guard case .forLoop(let name, let items, let body, _, _) = one.first else {
      throw ShellError("not a loop")
    }
    #expect(name == "s")
    #expect(items.map(\.raw) == ["1", "2", "3"])
    #expect(body.count == 2)

    let block = try Parser.parse(
      "for a in x y {\n  for b in 1 2 {\n    echo $a $b\n  }\n  echo done\n}\necho after")
    #expect(block.count == 2)
    guard case .forLoop(_, _, let outer, let line, _) = block.first else { throw ShellError("not a loop") }
    #expect(line == 1)
    #expect(outer.count == 2)
    guard case .forLoop(_, _, let inner, let innerLine, _) = outer.first else {
      throw ShellError("not nested")
    }
    #expect(innerLine == 2)
    #expect(inner.first?.line == 3)
    #expect(block.last?.line == 7)
  }

  @Test func lineNumbersCountFromFirstLine() throws {
    let statements = try Parser.parse("a\n\nb\nc; d", firstLine: 10)
    #expect(statements.map(\.line) == [10, 12, 13, 13])
  }

  @Test func backslashContinuesALine() throws {
    #expect(try words("set 11.prompt \\\n  \"x\"") == [["set", "11.prompt", "\"x\""]])
  }

  @Test func unclosedBlockIsIncomplete() {
    #expect {
      try Parser.parse("for s in 1 2 {\n set 3.seed $s")
    } throws: { ($0 as? SyntaxError)?.isIncomplete == true }
  }

  @Test(arguments: [
    (#"set 1.x "abc"#, "quote is not closed"), ("set 1.x [1, 2", "not closed"), ("echo }", "no open { block"),
    ("for 1x in a { echo }", "for NAME in"), ("for s in 1 2", "needs a block"),
  ])
  func syntaxErrorsSayWhatIsWrong(_ text: String, _ expected: String) {
    #expect {
      try Parser.parse(text)
    } throws: { error in
      guard let e = error as? SyntaxError else { return false }
      return !e.isIncomplete && e.message.contains(expected)
    }
  }

  @Test func expansionReplacesVariables() throws {
    let vars = ["seed": "42", "p": "a \"quoted\" text", "n": "7"]
    func expand(_ text: String) throws -> Argument {
      guard case .command(let w, _, _) = try Parser.parse(text).first else { throw ShellError("none") }
      return try w[0].expand { vars[$0] }
    }
    #expect(try expand("$seed").text == "42")
    #expect(try expand("${seed}0").text == "420")
    #expect(try expand(#""seed=$seed""#).text == "seed=42")
    #expect(try expand(#""$p""#).text == "a \"quoted\" text")
    #expect(try expand(#""$p""#).raw == #""a \"quoted\" text""#)
    #expect(try expand("'$seed'").text == "$seed")
    #expect(try expand(#"\$seed"#).text == "$seed")
    #expect(try expand(#""cost \$5""#).text == "cost $5")
    #expect(try expand("[$n, \"$n\"]").text == "[7, \"$n\"]")
    #expect(try expand("[$p]").text == #"["a \"quoted\" text"]"#)
    #expect(try expand("$").text == "$")
    #expect(throws: ShellError.self) { try expand("$missing") }
  }

  @Test func argumentKinds() throws {
    func kind(_ text: String) throws -> Argument.Kind {
      guard case .command(let w, _, _) = try Parser.parse(text).first else { throw ShellError("none") }
      return try w[0].expand { _ in nil }.kind
    }
    #expect(try kind("42") == .bare)
    #expect(try kind("\"42\"") == .quoted)
    #expect(try kind("'a''b'") == .quoted)
    #expect(try kind("[1]") == .json)
    #expect(try kind("@\"x\".y") == .mixed)
  }
}
