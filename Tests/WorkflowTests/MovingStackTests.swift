import Testing

@testable import Workflow

/// The JSON reader's member stack: elements come off in order, exactly once, and the stack frees
/// whatever is left on it (a document that fails half-way).
@Suite struct MovingStackTests {
  final class Token {
    let number: Int
    init(_ number: Int) { self.number = number }
  }

  @Test func popAllGivesTheTopElementsInOrderAndKeepsTheRest() {
    var stack = MovingStack<String>(capacity: 2)
    for word in ["a", "b", "c", "d", "e"] { stack.push(word) }  // grows twice
    #expect(stack.count == 5)
    #expect(Array(stack.popAll(from: 2)) == ["c", "d", "e"])
    #expect(stack.count == 2)
    #expect(stack[1] == "b")
    #expect(stack.popArray(from: 0) == ["a", "b"])
    #expect(stack.popAll(from: 0).isEmpty)
  }

  /// Once the popped array is gone the element is freed although the stack lives on: no copy of it
  /// stayed behind.
  @Test func poppedElementsAreMovedNotCopied() {
    var stack = MovingStack<Token>(capacity: 1)
    weak var first: Token?
    do {
      let token = Token(1)
      first = token
      stack.push(token)
      stack.push(Token(2))
    }
    var popped: [Token]? = stack.popArray(from: 0)
    #expect(popped?.map(\.number) == [1, 2])
    #expect(first != nil)
    popped = nil
    #expect(first == nil)
    #expect(stack.count == 0)
  }

  @Test func droppedAndLeftOverElementsAreReleased() {
    weak var dropped: Token?
    weak var leftOver: Token?
    do {
      var stack = MovingStack<Token>(capacity: 4)
      let kept = Token(1)
      leftOver = kept
      stack.push(kept)
      let gone = Token(2)
      dropped = gone
      stack.push(gone)
      _ = consume gone
      stack.drop(downTo: 1)
      #expect(dropped == nil)
      #expect(stack.count == 1)
      _ = consume kept
      #expect(leftOver != nil)
    }
    #expect(leftOver == nil)
  }

  /// A read that stops at an error deep in a large document, with members still on the stacks, says
  /// where it stopped.
  @Test func aFailedReadOfALargeDocumentStillThrowsItsPosition() {
    let members = (0..<600).map { "\"k\($0)\": {\"v\": [\"s\($0)\", \($0)]}" }
    let text = "{" + members.joined(separator: ",") + ", \"bad\": [1, 2,]}"
    #expect {
      try JSONValue.parse(text)
    } throws: { error in
      guard let error = error as? JSONParseError else { return false }
      return error.line == 1 && error.column == text.count - 1
    }
  }
}
