import FaultProxy

#if canImport(Glibc)
import Glibc
#endif

// `comfysh-fault-proxy --upstream PORT [--port N] [RULE…]`: the fault proxy by hand, in front of a
// real ComfyUI on this machine (or `comfysh sim`). Point comfysh at the printed URL.

let usage = """
  usage: comfysh-fault-proxy --upstream PORT [--port N] [[METHOD ]PATH=FAULT …]

  Forwards 127.0.0.1:N (default: a free port) to 127.0.0.1:PORT, applying the first rule whose path
  prefix matches each request (PATH * matches all). FAULT is one of:
    500 | 502 | garbage | reset | stall | drop-bytes:N | drop-seconds:S | reset-seconds:S | drip:S
    ws-cut:FRAMES | ws-reset:FRAMES | ws-silent:FRAMES | ws-delay:S | ws-close-before:TEXT
                                                                      (for the /ws upgrade)
  A FAULT may end in xN to apply to the first N matching requests only (e.g. /history=stall x1).
  example: comfysh-fault-proxy --upstream 8188 '/ws=ws-reset:5' 'POST /prompt=500 x1'
  """

func fail(_ message: String) -> Never {
  fputs_stderr("comfysh-fault-proxy: \(message)\n\n\(usage)\n")
  exit(2)
}

func fputs_stderr(_ text: String) {
  _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}

func fault(_ text: String) -> FaultProxy.Fault? {
  let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
  let value = parts.count > 1 ? parts[1] : ""
  switch parts[0] {
  case "500", "502", "503", "504": return .respond(status: Int(parts[0]) ?? 500, body: "fault proxy")
  case "garbage": return .garbage(Array("\u{0}\u{1}not http at all\r\n\r\n".utf8))
  case "reset": return .reset
  case "stall": return .stall
  case "drop-bytes": return Int(value).map { .dropAfterBytes($0) }
  case "drop-seconds": return Double(value).map { .dropAfterSeconds($0) }
  case "reset-seconds": return Double(value).map { .resetAfterSeconds($0) }
  case "drip": return Double(value).map { .slowDrip(interval: $0) }
  case "ws-cut": return Int(value).map { .webSocketCutMidFrame(afterFrames: $0) }
  case "ws-reset": return Int(value).map { .webSocketResetAfterFrames($0) }
  case "ws-silent": return Int(value).map { .webSocketSilentAfterFrames($0) }
  case "ws-close-before": return value.isEmpty ? nil : .webSocketCloseBefore(text: value)
  case "ws-delay": return Double(value).map { .webSocketDelayGreeting(seconds: $0) }
  default: return nil
  }
}

var arguments = Array(CommandLine.arguments.dropFirst())
var upstream: Int?
var port = 0
var rules: [FaultProxy.Rule] = []
while !arguments.isEmpty {
  let argument = arguments.removeFirst()
  switch argument {
  case "-h", "--help":
    print(usage)
    exit(0)
  case "--upstream":
    guard let value = arguments.first.flatMap({ Int($0) }) else { fail("--upstream needs a port") }
    upstream = value
    arguments.removeFirst()
  case "--port":
    guard let value = arguments.first.flatMap({ Int($0) }) else { fail("--port needs a number") }
    port = value
    arguments.removeFirst()
  default:
    guard let equals = argument.firstIndex(of: "=") else { fail("a rule is PATH=FAULT, got \(argument)") }
    var target = argument[..<equals].split(separator: " ").map(String.init)
    var faultText = String(argument[argument.index(after: equals)...])
    var times: Int?
    if let x = faultText.firstRange(of: " x") {
      times = Int(faultText[x.upperBound...])
      faultText = String(faultText[..<x.lowerBound])
    }
    guard let parsed = fault(faultText) else { fail("unknown fault \(faultText)") }
    let method = target.count > 1 ? target.removeFirst() : nil
    let path = target.first == "*" ? nil : target.first
    rules.append(FaultProxy.Rule(path: path, method: method, parsed, times: times))
  }
}
guard let upstream else { fail("--upstream PORT is needed") }
do {
  let proxy = try FaultProxy(upstreamPort: upstream, port: port, rules: rules)
  print("fault proxy at \(proxy.url) → http://127.0.0.1:\(upstream)")
  for rule in rules {
    print("  \(rule.method ?? "any") \(rule.path ?? "*"): \(rule.fault)\(rule.times.map { " ×\($0)" } ?? "")")
  }
  var shown = 0
  while true {
    let log = proxy.log
    for line in log.dropFirst(shown) { print(line) }
    shown = log.count
    usleep(200_000)
  }
} catch {
  fail("\(error)")
}
