// comfysh-media-demo [--protocol sixel|kitty|iterm|blocks|blocks256] [--columns N] [--rows N]
//                    [--cell WxH] [--colours N] [FILE]
// Writes FILE (PNG, JPEG, WEBP or GIF; a generated test picture without one) to standard output
// with one protocol, fitted to the cells given: what Scripts/terminal-screenshot.sh draws in xterm.

import Media
import TerminalGraphics

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

func fail(_ message: String) -> Never {
  let text = Array("comfysh-media-demo: \(message)\n".utf8)
  text.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
  exit(2)
}

var graphics = GraphicsProtocol.sixel
var columns = 40
var rows = 12
var cell = (width: 6, height: 13)
var colours = 256
var file: String?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
  func value() -> String {
    guard let v = arguments.popFirst() else { fail("\(argument) needs a value") }
    return v
  }
  switch argument {
  case "--protocol":
    let name = value()
    guard let chosen = GraphicsProtocol(rawValue: name) else { fail("unknown protocol \(name)") }
    graphics = chosen
  case "--columns": columns = Int(value()) ?? columns
  case "--rows": rows = Int(value()) ?? rows
  case "--colours": colours = Int(value()) ?? colours
  case "--cell":
    let parts = value().split(separator: "x").compactMap { Int($0) }
    guard parts.count == 2 else { fail("--cell takes WIDTHxHEIGHT") }
    cell = (parts[0], parts[1])
  default: file = argument
  }
}

/// Colour bars over a gradient, with a white frame: easy to recognise in a screenshot.
func testPicture(width: Int, height: Int) -> RGBAImage {
  var pixels = [UInt8](repeating: 255, count: width * height * 4)
  let bars: [(UInt8, UInt8, UInt8)] = [
    (230, 40, 40), (40, 200, 60), (40, 80, 230), (240, 220, 40), (200, 60, 200),
  ]
  for y in 0..<height {
    for x in 0..<width {
      let i = (y * width + x) * 4
      let frame = x < 3 || y < 3 || x >= width - 3 || y >= height - 3
      let bar = bars[x * bars.count / width]
      let shade = Double(y) / Double(height)
      pixels[i] = frame ? 255 : UInt8(Double(bar.0) * (1 - shade * 0.7))
      pixels[i + 1] = frame ? 255 : UInt8(Double(bar.1) * (1 - shade * 0.7))
      pixels[i + 2] = frame ? 255 : UInt8(Double(bar.2) * (1 - shade * 0.7))
    }
  }
  return RGBAImage(width: width, height: height, pixels: pixels)
}

var image: RGBAImage
if let file {
  guard let handle = fopen(file, "rb") else { fail("cannot open \(file)") }
  var bytes: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = fread(&buffer, 1, buffer.count, handle)
    if n <= 0 { break }
    bytes += buffer[0..<n]
  }
  fclose(handle)
  do {
    image = try ImageDecoder.decode(bytes)
  } catch {
    fail("\(file): \(error)")
  }
} else {
  image = testPicture(width: 320, height: 200)
}

let target = PictureTarget(
  graphics: graphics, maxColumns: columns, maxRows: rows, cellWidth: cell.width, cellHeight: cell.height,
  sixelColours: colours)
let output =
  PictureWriter.draw(image, on: target, enlarge: graphics == .blocks || graphics == .blocks256)?.bytes
  ?? Array("\(image.width)×\(image.height)\n".utf8)
var written = 0
while written < output.count {
  let n = output[written...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
  if n <= 0 { fail("cannot write to standard output") }
  written += n
}
