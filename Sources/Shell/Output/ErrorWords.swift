import ComfyClient
import ComfyRules

extension ComfyClientError {
  /// The error in the shell's words: the facts, then what usually causes it and what to type.
  var shellMessage: String {
    switch self {
    case .invalidAddress(let text, let problem):
      switch problem {
      case .empty: return "the server address is empty; give a URL such as http://127.0.0.1:8188"
      case .unsupportedScheme:
        return "\(text) is not an http or https URL; give one such as http://127.0.0.1:8188"
      case .noHost: return "\(text) has no host; give a URL such as http://127.0.0.1:8188"
      case .unclosedIPv6Bracket, .invalidPort, .userInfo: return description
      }
    case .cannotConnect:
      return description + ": is ComfyUI running there? start it, or use --sim / server URL"
    case .connectionClosed: return description + "; did the server stop or restart?"
    case .connectionReset:
      return description
        + " (it had connected); did the server or a proxy in between restart? try the command again"
    case .answerCutShort:
      return description + "; did the server or the network fail? try again (nothing partial was kept)"
    case .outcomeUnknown(_, let promptID, _):
      return description + "; `watch \(promptID)` asks again, `history \(promptID)` once the server answers"
    case .timeout(_, _, _, let idle):
      return description
        + (idle
          ? "; it stalled or sends very slowly: is the server stuck, or the network down? try again"
          : "; is it busy, stuck or very slow? try again, or check the server")
    case .badResponse(_, _, .notJSON): return description + "; is this a ComfyUI server?"
    case .badResponse(_, _, .notHTTP):
      return description + "; is this the address of a ComfyUI server, and is nothing else listening there?"
    case .httpStatus(let server, let route, let status, let reason, let body):
      let tail = body.isEmpty ? "" : ": \(body)"
      switch status {
      case 403:
        return
          "\(server) refused \(route) (403 Forbidden)\(tail); ComfyUI answers 403 when an Origin header does not match the host, so a proxy in between may be adding one"
      case 404:
        return
          "\(server) has no \(route) (404 Not Found); is this a ComfyUI server, and is the URL's path right?"
      case 500...599:
        return
          "\(server) failed on \(route) (\(status) \(reason))\(tail); the server's console or log has the cause"
      default:
        return description
      }
    case .fileNotFound(_, let path):
      return "the server has no \(path) (GET /view answered 404); it may have been deleted or moved"
    case .fileRefused(_, let path, let status):
      return "the server refused to send \(path) (\(status)): the name is not allowed"
    case .uploadTooLarge(_, let filename):
      return "\(filename) is larger than the server accepts (its --max-upload-size); make it smaller"
    case .inactivity:
      return description
        + "; it is still running there: `watch` to follow it again, `interrupt` to stop it, or `watch --timeout SECONDS` to wait longer"
    case .connectionLost(let server, let promptID, let reason):
      return
        "lost the connection to \(server) and could not open it again (\(reason)); prompt \(promptID) may still be running there: `watch \(promptID)` when the server is back"
    case .notTracked(let promptID): return "prompt \(promptID) is not tracked by this session"
    case .promptForgotten:
      return description + "; was the server restarted or its history cleared?"
    case .requestFailed, .badResponse, .closed: return description
    }
  }
}

extension SocketDrop {
  /// Why the WebSocket dropped, in the shell's words (no system call names, no errno).
  var shellWords: String {
    switch self {
    case .reset: "the connection was reset"
    case .closedByServer(1000), .closedByServer(1001): "the server closed the WebSocket"
    case .closedByServer(let code): "the server closed the WebSocket with code \(code)"
    case .ended: "the connection ended without a goodbye"
    case .silent(let quiet):
      "the WebSocket went silent: no message and no answer to a ping for \(quiet.secondsText)"
    case .failed(let reason): reason
    }
  }
}

extension ValueProblem {
  /// The problem in the shell's words: how to link a link-only input, where the long list of choices is.
  var shellMessage: String {
    if case .takesLink(let input, _) = self { return description + "; use `link NODE.\(input) NODE:SLOT`" }
    return text(choicesHint: "`info CLASS` lists them")
  }
}
