import Media
import Testing

@Suite struct MediaInfoTests {
  @Test func theFixturesAreThere() { #expect(MediaFixtures.timed.count >= 9) }

  /// Duration, size, rate and channels as ffprobe read them from the same files.
  @Test(arguments: MediaFixtures.timed)
  func readsWhatFFprobeReads(_ file: MediaFixtures.Timed) throws {
    let info = try MediaProbe.probe(try MediaFixtures.bytes(file.file))
    let duration = try #require(info.duration, "\(file.file) has a duration")
    #expect(abs(duration - file.duration) <= 0.03, "\(file.file): \(duration) s, ffprobe \(file.duration) s")
    #expect(info.width == file.width && info.height == file.height, "\(file.file): \(info)")
    #expect(info.sampleRate == file.sampleRate && info.channels == file.channels, "\(file.file): \(info)")
  }

  @Test func containersAreNamed() throws {
    let expected: [String: MediaInfo.Container] = [
      "video.mp4": .mp4, "video.mov": .quickTime, "video.webm": .webm, "video.mkv": .matroska,
      "audio.wav": .wav,
      "audio.flac": .flac, "audio.mp3": .mp3, "audio.ogg": .oggVorbis, "audio.opus": .oggOpus,
    ]
    for (file, container) in expected {
      #expect(try MediaProbe.probe(try MediaFixtures.bytes(file)).container == container, "\(file)")
    }
  }

  @Test(arguments: MediaFixtures.stills.filter { $0.frames != nil })
  func animationsCountFramesAndTime(_ still: MediaFixtures.Still) throws {
    let info = try MediaProbe.probe(try MediaFixtures.bytes(still.file))
    #expect(info.frames == still.frames)
    #expect(info.duration.map { Int(($0 * 1000).rounded()) } == still.durationMs)
    #expect(info.width == still.width && info.height == still.height)
  }

  @Test func truncatedContainersNeverCrash() throws {
    for file in MediaFixtures.timed {
      let bytes = try MediaFixtures.bytes(file.file)
      for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 64)) {
        _ = try? MediaProbe.probe(Array(bytes.prefix(cut)))
      }
    }
    #expect(throws: MediaInfoError.unknownFormat(head: Array("hello".utf8))) {
      try MediaProbe.probe(Array("hello".utf8))
    }
  }
}
