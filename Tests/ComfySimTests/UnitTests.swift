import Media
import TestSupport
import Testing
import Workflow

@testable import ComfySim

@Suite("Building blocks")
struct UnitTests {
  @Test("PNG writer: valid chunks and CRCs, stored zlib blocks, text chunks, readable again")
  func pngWriter() throws {
    let rgb = (0..<(300 * 200 * 3)).map { UInt8($0 % 251) }
    let png = PNGEncoder.encode(width: 300, height: 200, rgb: rgb, text: [("prompt", "{\"a\": 1}")])
    let chunks = try PNGChunks.read(png)
    #expect(chunks.map(\.type) == ["IHDR", "tEXt", "IDAT", "IEND"])
    #expect(PNGChunks.textEntries(chunks).first?.text == "{\"a\": 1}")
    // More than 64 KiB of pixel rows: several stored blocks.
    #expect(chunks[2].data.count > 65535 * 2)
    let decoded = try #require(ImageFiles.decodePNG(png))
    #expect(decoded.width == 300 && decoded.height == 200 && decoded.rgb == rgb)
    #expect(PNGEncoder.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
    // Recompute each chunk's CRC from the file bytes.
    var offset = 8
    while offset < png.count {
      let length = Int(BigEndian.readUInt32(png, offset))
      let crc = BigEndian.readUInt32(png, offset + 8 + length)
      #expect(crc == PNGChunks.crc32(png[(offset + 4)..<(offset + 8 + length)]))
      offset += 12 + length
    }
  }

  @Test("image sizes: requests are kept, files are capped at 256 pixels a side")
  func imageCap() {
    #expect(SimImage(width: 1024, height: 512, pixels: .solid(0, 0, 0)).renderedSize == (256, 128))
    #expect(SimImage(width: 64, height: 48, pixels: .solid(0, 0, 0)).renderedSize == (64, 48))
    #expect(SimImage(width: 4096, height: 1, pixels: .solid(0, 0, 0)).renderedSize == (256, 1))
    let inverted = SimImage(width: 2, height: 1, pixels: .inverted(.solid(255, 0, 16))).renderRGB()
    #expect(inverted.rgb == [0, 255, 239, 0, 255, 239])
  }

  @Test("image dimensions of PNG, GIF, BMP and JPEG files")
  func imageDimensions() {
    #expect(
      ImageFiles.dimensions(of: SimImage(width: 7, height: 5, pixels: .pattern(1)).png()).map {
        [$0.0, $0.1]
      } == [7, 5])
    #expect(
      ImageFiles.dimensions(of: [0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 10, 0, 20, 0]).map { [$0.0, $0.1] } == [
        10, 20,
      ])
    let jpeg: [UInt8] = [
      0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 17, 8, 0, 30, 0, 40, 3, 0, 0, 0, 0,
    ]
    #expect(ImageFiles.dimensions(of: jpeg).map { [$0.0, $0.1] } == [40, 30])
    #expect(ImageFiles.dimensions(of: Array("not an image".utf8)) == nil)
  }

  @Test("paths: os.path.normpath, commonpath and splitext semantics")
  func paths() {
    #expect(Paths.normalize("a/./b/../c//d") == "a/c/d")
    #expect(Paths.normalize("../../outside/x") == "../../outside/x")
    #expect(Paths.normalize("/a/../../b") == "/b")
    #expect(Paths.normalize("") == ".")
    #expect(Paths.isInside("/srv/out/sub", "/srv/out"))
    #expect(!Paths.isInside("/srv/outside", "/srv/out"))
    #expect(Paths.common("/srv/ComfyUI/output", "/srv/outside") == "/srv")
    #expect(FileRoutes.splitExtension("example.png") == ("example", ".png"))
    #expect(FileRoutes.splitExtension(".hidden") == (".hidden", ""))
    #expect(FileRoutes.splitExtension("a.b.c") == ("a.b", ".c"))
    #expect(SimFolders.splitAnnotation("x.png [temp]") == ("x.png", "temp"))
  }

  @Test("the queue is Python's heapq: pending items in heap order, front first, ties by prompt id")
  func heapOrder() {
    func item(_ number: Double, _ id: String) -> QueueItem {
      QueueItem(
        sortKey: number, number: .double(number), promptID: id, prompt: [:], extraData: [:], outputs: [])
    }
    var heap: [QueueItem] = []
    for (n, id) in [(5.0, "e"), (3.0, "c"), (4.0, "d"), (1.0, "a"), (2.0, "b"), (-6.0, "front")] {
      Heap.push(&heap, item(n, id))
    }
    // heapq.heappush of 5,3,4,1,2,-6 leaves [-6, 2, 1, 5, 3, 4].
    #expect(heap.map(\.promptID) == ["front", "b", "a", "e", "c", "d"])
    var popped: [String] = []
    while !heap.isEmpty { popped.append(Heap.pop(&heap).promptID) }
    #expect(popped == ["front", "a", "b", "c", "d", "e"])
    var ties = [item(1, "z"), item(1, "m"), item(1, "a")]
    Heap.heapify(&ties)
    #expect(Heap.pop(&ties).promptID == "a")
  }

  @Test("execution order follows ComfyUI's ExecutionList: outputs first among ready nodes")
  func executionOrder() throws {
    // The recorded progress-with-feature-flags graph ran 1, 2, 3, 4, 5, 6, 7.
    let prompt: JSONObject = [
      "1": ["inputs": [:], "class_type": "EmptyImage"],
      "2": ["inputs": [:], "class_type": "UpscaleModelLoader"],
      "3": [
        "inputs": ["upscale_model": ["2", 0], "image": ["1", 0]], "class_type": "ImageUpscaleWithModel",
      ],
      "4": ["inputs": ["images": ["3", 0]], "class_type": "PreviewImage"],
      "5": ["inputs": ["image": ["3", 0]], "class_type": "GetImageSize"],
      "6": ["inputs": ["width": ["5", 0], "height": ["5", 1]], "class_type": "EmptyImage"],
      "7": ["inputs": ["images": ["6", 0]], "class_type": "SaveImage"],
    ]
    for outputs in [["4", "7"], ["7", "4"]] {
      var list = ExecutionList(
        prompt: prompt, isOutput: { ["4", "7"].contains($0) }, isAsync: { _ in false },
        isCached: { _ in false })
      for output in outputs { list.addNode(output) }
      var order: [String] = []
      while let next = list.stage() {
        order.append(next)
        list.complete(next)
      }
      #expect(order == ["1", "2", "3", "4", "5", "6", "7"], "outputs \(outputs)")
    }
    // Cached sources are not scheduled at all.
    var cached = ExecutionList(
      prompt: prompt, isOutput: { $0 == "4" }, isAsync: { _ in false }, isCached: { $0 == "3" })
    cached.addNode("4")
    #expect(cached.stage() == "4")
  }

  @Test("the fault tables match routes by exact path or by prefix")
  func faultKeys() {
    let faults = SimulatorFaults(routeDelays: ["/history": .seconds(1), "/history/x": .seconds(2)])
    #expect(faults.key(for: "/history", in: faults.routeDelays) == "/history")
    #expect(faults.key(for: "/history/abc", in: faults.routeDelays) == "/history")
    #expect(faults.key(for: "/history/x/y", in: faults.routeDelays) == "/history/x")
    #expect(faults.key(for: "/historyx", in: faults.routeDelays) == nil)
    #expect(canonicalPath("/api/history/1") == "/history/1")
  }

  @Test("the simulator only listens on loopback")
  func loopbackOnly() {
    #expect(throws: SimulatorError.self) { try ComfySimulator(.init(host: "0.0.0.0")) }
    #expect(OriginMiddleware.mismatch(host: "127.0.0.1:8188", origin: "http://example.com"))
    #expect(!OriginMiddleware.mismatch(host: "127.0.0.1:8188", origin: "http://127.0.0.1:8188"))
    #expect(!OriginMiddleware.mismatch(host: "comfy.example:8188", origin: "http://other.example"))
    #expect(!OriginMiddleware.mismatch(host: "localhost:8188", origin: "http://localhost"))
  }
}

@Suite("PNG reading")
struct PNGReadingTests {
  @Test(
    "compressed PNGs from another encoder decode to their pixels (fixed and dynamic Huffman)", needsFixtures)
  func recordedPNGs() throws {
    // The recorded server's SaveImage output: 64×64, EmptyImage red (0xFF0000) inverted → cyan.
    let saved = try #require(ImageFiles.decodePNG(try Fixtures.read("exec/basic-output.png")))
    #expect(saved.width == 64 && saved.height == 64)
    #expect(Array(saved.rgb.prefix(6)) == [0, 255, 255, 0, 255, 255])
    #expect(Set(saved.rgb.enumerated().map { $0.offset % 3 == 0 ? $0.element : 255 }) == [0, 255])
    // The 64×64 upload of the API-node recordings (a gradient, per its execution_error tensor).
    let example = try #require(ImageFiles.decodePNG(try Fixtures.read("api-nodes/example.png")))
    #expect(example.width == 64 && example.height == 64)
    #expect(Array(example.rgb.prefix(3)) == [0, 0, 128])
    #expect(Array(example.rgb[(63 * 3)..<(64 * 3)]) == [255, 0, 128])
  }

  @Test("a corrupt stream is refused, not trusted")
  func corrupt() {
    #expect(Inflate.zlib([0x78, 0x9C, 0xFF, 0xFF, 0xFF], limit: 100) == nil)
    #expect(
      Inflate.zlib([0x78, 0x01, 0x01, 0x05, 0x00, 0xFA, 0xFF, 1, 2, 3, 4, 5], limit: 100) == [1, 2, 3, 4, 5])
    #expect(Inflate.zlib([0x78, 0x01, 0x01, 0x05, 0x00, 0xFA, 0xFF, 1, 2, 3, 4, 5], limit: 4) == nil)
  }
}
