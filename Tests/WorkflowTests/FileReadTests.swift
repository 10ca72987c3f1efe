import TestSupport
import Testing

@testable import Workflow

/// Whole-file reads of regular files, which go straight into an array of the file's size (and, from
/// `readInterruptibly`, on the calling thread).
@Suite struct FileReadTests {
  let folder = TemporaryFolder.make(prefix: "comfysh-read")

  func written(_ bytes: [UInt8], as name: String) throws -> String {
    let path = folder + "/" + name
    try FileIO.writeAtomically(path, bytes, durable: false)
    return path
  }

  /// Sizes around the old 64 KiB chunk and past the allocator's mmap threshold.
  @Test(arguments: [0, 1, 4095, 65_536, 65_537, 300_001])
  func aRegularFileIsReadExactly(size: Int) async throws {
    let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
    let path = try written(bytes, as: "f\(size)")
    #expect(try FileIO.read(path) == bytes)
    #expect(try await FileIO.readInterruptibly(path) == bytes)
  }

  @Test func aFileAtTheLimitIsReadAndOneByteMoreIsRefused() throws {
    let limit = ReadLimit(bytes: 1000, purpose: "a test file")
    let atLimit = try written(Array(repeating: 7, count: 1000), as: "at")
    #expect(try FileIO.read(atLimit, limit: limit).count == 1000)
    let over = try written(Array(repeating: 7, count: 1001), as: "over")
    #expect {
      try FileIO.read(over, limit: limit)
    } throws: { error in
      (error as? FileError)?.reason == "is larger than 1000 bytes, the most comfysh reads as a test file"
    }
  }

  @Test func aMissingFileNamesTheSystemsReason() async {
    await #expect {
      try await FileIO.readInterruptibly(folder + "/none")
    } throws: { error in
      (error as? FileError)?.reason == "No such file or directory"
    }
  }

  @Test func theAllocatorTakesTheOneArenaSetting() {
    #expect(Allocator.useOneArena())
  }
}
