import Media
import TerminalGraphics

/// Readers of what the encoders write, written from the protocols' documentation, so a test can
/// turn terminal output back into pixels.
public enum ProtocolReaders {
  /// The escape sequences `ESC <introducer> … terminator` in `bytes`, bodies only.
  public static func sequences(_ bytes: [UInt8], introducer: UInt8, terminator: [UInt8]) -> [[UInt8]] {
    var out: [[UInt8]] = []
    var i = 0
    while i + 1 < bytes.count {
      if bytes[i] == 0x1B, bytes[i + 1] == introducer {
        var j = i + 2
        while j + terminator.count <= bytes.count, Array(bytes[j..<(j + terminator.count)]) != terminator {
          j += 1
        }
        out.append(Array(bytes[(i + 2)..<min(j, bytes.count)]))
        i = j + terminator.count
      } else {
        i += 1
      }
    }
    return out
  }

  public struct KittyCommand {
    public var keys: [String: String]
    public var payload: [UInt8]
  }

  /// kitty APC commands, chunks joined: each command's keys (from its first chunk) and payload.
  public static func kitty(_ bytes: [UInt8]) -> (commands: [KittyCommand], chunkSizes: [Int]) {
    var commands: [KittyCommand] = []
    var pending: KittyCommand?
    var sizes: [Int] = []
    for body in sequences(bytes, introducer: UInt8(ascii: "_"), terminator: [0x1B, 0x5C]) {
      guard body.first == UInt8(ascii: "G") else { continue }
      let text = Array(body.dropFirst())
      let split = text.firstIndex(of: UInt8(ascii: ";")) ?? text.count
      var keys: [String: String] = [:]
      for pair in String(decoding: text[..<split], as: UTF8.self).split(separator: ",") {
        let parts = pair.split(separator: "=", maxSplits: 1)
        if parts.count == 2 { keys[String(parts[0])] = String(parts[1]) }
      }
      let data = split < text.count ? Array(text[(split + 1)...]) : []
      sizes.append(data.count)
      if pending == nil { pending = KittyCommand(keys: keys, payload: []) }
      pending?.payload += data
      if keys["m"] != "1", let done = pending {
        commands.append(done)
        pending = nil
      }
    }
    return (commands, sizes)
  }

  /// iTerm2 `OSC 1337 ; File=…: data BEL`: the arguments and the decoded file.
  public static func iterm(_ bytes: [UInt8]) -> (arguments: [String: String], file: [UInt8])? {
    guard let body = sequences(bytes, introducer: UInt8(ascii: "]"), terminator: [0x07]).first else {
      return nil
    }
    let text = String(decoding: body, as: UTF8.self)
    guard text.hasPrefix("1337;File="), let colon = text.firstIndex(of: ":") else { return nil }
    var arguments: [String: String] = [:]
    for pair in text[text.index(text.startIndex, offsetBy: 10)..<colon].split(separator: ";") {
      let parts = pair.split(separator: "=", maxSplits: 1)
      if parts.count == 2 { arguments[String(parts[0])] = String(parts[1]) }
    }
    guard let file = Base64.decode(Array(text[text.index(after: colon)...].utf8)) else { return nil }
    return (arguments, file)
  }

  /// A sixel image: DCS parameters, raster attributes, colour registers (`#n;2;r;g;b` in percent),
  /// sixel data with `!n` repeats, `$` carriage return and `-` next band. Undrawn pixels have alpha 0.
  public static func sixel(_ bytes: [UInt8]) -> RGBAImage? {
    guard let body = sequences(bytes, introducer: UInt8(ascii: "P"), terminator: [0x1B, 0x5C]).first,
      let q = body.firstIndex(of: UInt8(ascii: "q"))
    else { return nil }
    var data = Array(body[(q + 1)...])
    var width = 0
    var height = 0
    func number(_ at: inout Int) -> Int {
      var v = 0
      while at < data.count, (48...57).contains(data[at]) {
        v = v * 10 + Int(data[at] - 48)
        at += 1
      }
      return v
    }
    var i = 0
    if data.first == UInt8(ascii: "\"") {
      i = 1
      var values: [Int] = []
      while i < data.count {
        values.append(number(&i))
        if i < data.count, data[i] == UInt8(ascii: ";") { i += 1 } else { break }
      }
      guard values.count == 4 else { return nil }
      width = values[2]
      height = values[3]
    }
    data = Array(data[i...])
    guard width > 0, height > 0 else { return nil }
    var pixels = [UInt8](repeating: 0, count: width * height * 4)
    var palette: [Int: (UInt8, UInt8, UInt8)] = [:]
    var colour = 0
    var x = 0
    var band = 0
    i = 0
    while i < data.count {
      let c = data[i]
      switch c {
      case UInt8(ascii: "#"):
        i += 1
        let n = number(&i)
        if i < data.count, data[i] == UInt8(ascii: ";") {
          i += 1
          var values: [Int] = []
          while values.count < 4 {
            values.append(number(&i))
            if i < data.count, data[i] == UInt8(ascii: ";") { i += 1 } else { break }
          }
          guard values.count == 4, values[0] == 2 else { return nil }
          func byte(_ percent: Int) -> UInt8 { UInt8((percent * 255 + 50) / 100) }
          palette[n] = (byte(values[1]), byte(values[2]), byte(values[3]))
        }
        colour = n
        continue
      case UInt8(ascii: "$"): x = 0
      case UInt8(ascii: "-"):
        x = 0
        band += 1
      case UInt8(ascii: "!"):
        i += 1
        let count = number(&i)
        guard i < data.count else { return nil }
        for _ in 0..<count { draw(data[i]) }
      case 63...126: draw(c)
      default: break
      }
      i += 1
    }
    func draw(_ character: UInt8) {
      let bits = Int(character) - 63
      if let rgb = palette[colour] {
        for row in 0..<6 where bits & (1 << row) != 0 {
          let y = band * 6 + row
          guard y < height, x < width else { continue }
          let o = (y * width + x) * 4
          pixels[o] = rgb.0
          pixels[o + 1] = rgb.1
          pixels[o + 2] = rgb.2
          pixels[o + 3] = 255
        }
      }
      x += 1
    }
    return RGBAImage(width: width, height: height, pixels: pixels)
  }

  /// Half-block output back to pixels: per cell the SGR foreground/background and `▀`/`▄`/space.
  public static func halfBlocks(_ bytes: [UInt8], palette256: (Int) -> (UInt8, UInt8, UInt8)) -> RGBAImage? {
    let text = String(decoding: bytes, as: UTF8.self)
    var rows: [[((UInt8, UInt8, UInt8, UInt8), (UInt8, UInt8, UInt8, UInt8))]] = []
    for line in text.split(separator: "\n") {
      var cells: [((UInt8, UInt8, UInt8, UInt8), (UInt8, UInt8, UInt8, UInt8))] = []
      var foreground: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
      var background: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
      var scalars = Array(line.unicodeScalars)
      var i = 0
      while i < scalars.count {
        if scalars[i] == "\u{1B}", i + 1 < scalars.count, scalars[i + 1] == "[" {
          var j = i + 2
          while j < scalars.count, scalars[j] != "m" { j += 1 }
          let numbers = String(String.UnicodeScalarView(scalars[(i + 2)..<j])).split(separator: ";")
            .compactMap { Int($0) }
          var k = 0
          while k < numbers.count {
            switch numbers[k] {
            case 0:
              foreground = (0, 0, 0, 0)
              background = (0, 0, 0, 0)
            case 49: background = (0, 0, 0, 0)
            case 38, 48:
              let layer = numbers[k]
              var colour: (UInt8, UInt8, UInt8, UInt8)
              if numbers[k + 1] == 2 {
                colour = (UInt8(numbers[k + 2]), UInt8(numbers[k + 3]), UInt8(numbers[k + 4]), 255)
                k += 4
              } else {
                let rgb = palette256(numbers[k + 2])
                colour = (rgb.0, rgb.1, rgb.2, 255)
                k += 2
              }
              if layer == 38 { foreground = colour } else { background = colour }
            default: break
            }
            k += 1
          }
          i = j + 1
          continue
        }
        switch scalars[i] {
        case "▀": cells.append((foreground, background))
        case "▄": cells.append((background, foreground))
        case " ": cells.append(((0, 0, 0, 0), (0, 0, 0, 0)))
        default: return nil
        }
        i += 1
      }
      scalars.removeAll()
      rows.append(cells)
    }
    guard let width = rows.first?.count, rows.allSatisfy({ $0.count == width }) else { return nil }
    var pixels: [UInt8] = []
    for row in rows {
      for half in 0..<2 {
        for cell in row {
          let p = half == 0 ? cell.0 : cell.1
          pixels += [p.0, p.1, p.2, p.3]
        }
      }
    }
    return RGBAImage(width: width, height: rows.count * 2, pixels: pixels)
  }
}
