#if canImport(Glibc)
import Glibc
#endif

/// Monotonic wall-clock time in seconds.
func now() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Runs `body` `runs` times after `warmup` runs and returns the median duration in milliseconds.
func medianMilliseconds(runs: Int = 21, warmup: Int = 3, _ body: () throws -> Void) rethrows -> Double {
  for _ in 0..<warmup { try body() }
  var samples: [Double] = []
  for _ in 0..<runs {
    let start = now()
    try body()
    samples.append((now() - start) * 1000)
  }
  samples.sort()
  return samples[samples.count / 2]
}

func report(_ label: String, _ milliseconds: Double) {
  print("\(label)\t\(String(format3(milliseconds))) ms")
}

func format3(_ value: Double) -> String {
  let scaled = (value * 1000).rounded() / 1000
  return "\(scaled)"
}
