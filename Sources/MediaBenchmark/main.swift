// comfysh-media-bench DIR: decodes each picture in DIR (made by Scripts/bench/media.sh with
// Pillow) and encodes the PNG one with every terminal protocol; prints medians in milliseconds.

import Media
import TerminalGraphics

#if canImport(Glibc)
import Glibc
#endif

func now() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func median(runs: Int = 11, _ body: () throws -> Void) rethrows -> Double {
  try body()
  var samples: [Double] = []
  for _ in 0..<runs {
    let start = now()
    try body()
    samples.append((now() - start) * 1000)
  }
  samples.sort()
  return samples[samples.count / 2]
}

func read(_ path: String) -> [UInt8] {
  guard let file = fopen(path, "rb") else { return [] }
  defer { fclose(file) }
  var bytes: [UInt8] = []
  var buffer = [UInt8](repeating: 0, count: 1 << 16)
  while true {
    let n = fread(&buffer, 1, buffer.count, file)
    if n <= 0 { break }
    bytes += buffer[0..<n]
  }
  return bytes
}

func row(_ label: String, _ ms: Double, _ note: String = "") {
  print("\(label)\t\((ms * 100).rounded() / 100) ms\t\(note)")
}

guard CommandLine.arguments.count > 1 else {
  print("usage: comfysh-media-bench DIR")
  exit(2)
}
let folder = CommandLine.arguments[1]
let files = [
  "photo.png", "photo-rgba.png", "photo-420.jpg", "photo-progressive.jpg", "photo-444.jpg",
  "photo-lossy.webp",
  "photo-lossless.webp", "photo.gif",
]
print("== decode 1024×1024 (median of 11)")
var reference: RGBAImage?
for name in files {
  let bytes = read(folder + "/" + name)
  guard !bytes.isEmpty else {
    print("\(name)\tmissing")
    continue
  }
  var image: RGBAImage?
  let ms = try median { image = try ImageDecoder.decode(bytes) }
  row("decode \(name)", ms, "\(bytes.count) bytes")
  if name == "photo.png" { reference = image }
}
guard let image = reference else { exit(1) }

print("== encode the 1024×1024 picture")
var png: [UInt8] = []
row("PNG, Deflate fast", median { png = PNGEncoder.encode(image, effort: .fast) }, "\(png.count) bytes")
var pngStandard: [UInt8] = []
row(
  "PNG, Deflate standard", median { pngStandard = PNGEncoder.encode(image, effort: .standard) },
  "\(pngStandard.count) bytes")
let plainRGB = rgb(image)
var stored: [UInt8] = []
row(
  "PNG, stored blocks (simulator writer)",
  median { stored = PNGEncoder.encode(width: 1024, height: 1024, rgb: plainRGB) }, "\(stored.count) bytes")
var kitty: [UInt8] = []
let full = Placement(columns: 100, rows: 50)
row(
  "kitty, PNG (f=100)", median { kitty = KittyGraphics.display(image, placement: full) },
  "\(kitty.count) bytes")
row(
  "kitty, zlib RGBA (f=32,o=z)",
  median { kitty = KittyGraphics.display(image, placement: full, encoding: .rgba) }, "\(kitty.count) bytes")
var iterm: [UInt8] = []
row(
  "iTerm2 inline (PNG)", median { iterm = ITermImages.display(image, placement: full) },
  "\(iterm.count) bytes")
var sixel: [UInt8] = []
row(
  "sixel, 256 colours", median(runs: 5) { sixel = Sixel.encode(image, colours: 256) }, "\(sixel.count) bytes")
row("sixel, 16 colours", median(runs: 5) { sixel = Sixel.encode(image, colours: 16) }, "\(sixel.count) bytes")
var blocks: [UInt8] = []
let small = ImageScaling.resized(image, width: 160, height: 160)
row(
  "half blocks, 160×80 cells, 24-bit", median { blocks = HalfBlocks.render(small, trueColour: true) },
  "\(blocks.count) bytes")
row(
  "half blocks, 160×80 cells, 256", median { blocks = HalfBlocks.render(small, trueColour: false) },
  "\(blocks.count) bytes")
print("== scale")
row(
  "scale 1024² → 480² (area, linear light)",
  median { _ = ImageScaling.resized(image, width: 480, height: 480) })
row(
  "scale 1024² → 160² (area, linear light)",
  median { _ = ImageScaling.resized(image, width: 160, height: 160) })

func rgb(_ image: RGBAImage) -> [UInt8] {
  var out = [UInt8](repeating: 0, count: image.width * image.height * 3)
  for i in 0..<(image.width * image.height) {
    out[i * 3] = image.pixels[i * 4]
    out[i * 3 + 1] = image.pixels[i * 4 + 1]
    out[i * 3 + 2] = image.pixels[i * 4 + 2]
  }
  return out
}
