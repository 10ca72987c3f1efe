import TerminalGraphics
import Workflow

struct ImagesCommand: Command {
  static let name = "images"
  static let group = CommandGroup.running
  static let usage = "images [auto | on | off | kitty | iterm | sixel | blocks | blocks256 | detect]"
  static let summary =
    "How pictures are shown: `auto` (`view` draws them), `on` (`watch` draws each node's results too; put it in the init script), `off` (names only); a protocol name draws with that one instead of the one detected, `detect` asks the terminal again. Without a word: the setting and the protocol found, and why."
  static let example = "images on"
  static let arguments: [ArgumentKind] = [
    .word(
      PictureMode.allCases.map(\.rawValue) + ["kitty", "iterm", "sixel", "blocks", "blocks256", "detect"])
  ]

  static func run(_ arguments: inout Arguments, in session: Session) async throws {
    try arguments.expect(0...1)
    let pictures = session.pictures
    if !arguments.isEmpty {
      let word = arguments[0].text
      if let mode = PictureMode(rawValue: word) {
        pictures.mode = mode
      } else if word == "detect" {
        pictures.forced = nil
        pictures.forgetDetection()
      } else if let chosen = GraphicsProtocol(rawValue: word), chosen != .off {
        pictures.forced = chosen
        pictures.forgetDetection()
        if pictures.mode == .off { pictures.mode = .auto }
      } else {
        throw ShellError(
          "images takes auto, on, off, kitty, iterm, sixel, blocks, blocks256 or detect, not \(word)")
      }
    }
    let mode = pictures.mode
    let meaning =
      switch mode {
      case .auto: "`view` draws pictures, `watch` names the files"
      case .on: "`view` and `watch` draw pictures"
      case .off: "no pictures are drawn, only named"
      }
    var json: JSONObject = [
      "type": "images", "mode": .string(mode.rawValue), "drawing": .bool(pictures.drawing),
    ]
    guard pictures.canDraw else {
      json["protocol"] = .null
      session.console.result(
        "images \(mode.rawValue): \(meaning); standard output is not a terminal (or --json is on), so files are named, not drawn",
        json: json)
      return
    }
    guard mode != .off else {
      session.console.result("images off: \(meaning)", json: json)
      return
    }
    let decision = pictures.decision()
    json["protocol"] = .string(decision.graphics.rawValue)
    json["reason"] = .string(decision.reason)
    json["tmux_passthrough"] = .bool(decision.throughTmux)
    let drawnWith =
      decision.graphics == .off
      ? "this terminal cannot draw them (\(decision.reason)), so they are named"
      : "drawn with \(words(decision.graphics)) (\(decision.reason)); \(pictures.cellDescription())"
    session.console.result("images \(mode.rawValue): \(meaning); \(drawnWith)", json: json)
  }

  static func words(_ graphics: GraphicsProtocol) -> String {
    switch graphics {
    case .kitty: "the kitty graphics protocol"
    case .iterm: "iTerm2 inline images"
    case .sixel: "sixel"
    case .blocks: "half blocks in 24-bit colour"
    case .blocks256: "half blocks in 256 colours"
    case .off: "nothing"
    }
  }
}
