// Benchmarks for Docs/performance.md: `swift run -c release comfysh-bench NAME [ARGS]`.
// Each prints median timings of its cases; the scripts under Scripts/bench/ put them next to Python's.

#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
let benchmarks: [String: ([String]) throws -> Void] = [
  "catalog": catalogBenchmark,
  "ws-decode": wsDecodeBenchmark,
  "ui-convert": uiConversionBenchmark,
]

guard let name = arguments.first, let benchmark = benchmarks[name] else {
  print("usage: comfysh-bench NAME [ARGS]; names: \(benchmarks.keys.sorted().joined(separator: ", "))")
  exit(2)
}
try benchmark(Array(arguments.dropFirst()))
