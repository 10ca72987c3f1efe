import Workflow

/// A language `export` writes a program in.
enum ExportLanguage: String, CaseIterable, Sendable {
  case python, curl, js

  /// How the program is started, for its header and for the command's closing line.
  func runLine(_ file: String) -> String {
    switch self {
    case .python: "python3 \(file) [OUTPUT_DIR]"
    case .curl: "sh \(file) [OUTPUT_DIR]"
    case .js: "node --experimental-websocket \(file) [OUTPUT_DIR]"
    }
  }

  /// The file name the header suggests when the program goes to standard output.
  var suggestedFile: String {
    switch self {
    case .python: "comfy_run.py"
    case .curl: "comfy_run.sh"
    case .js: "comfy_run.mjs"
    }
  }
}

/// What an exported program sends and to whom; the client id and the API key are left out, since the
/// program makes a fresh id at each run and reads the key from its environment.
struct ExportedPrompt: Sendable {
  /// The API-format prompt, as `run` would post it now (seed policies applied).
  var prompt: JSONValue
  /// `extra_data` without the API key (e.g. `extra_pnginfo` with the UI workflow).
  var extraData: JSONObject
  /// True when `run --front` was asked for.
  var front: Bool
  /// The server's base URL, the default when COMFY_SERVER is not set.
  var server: String
  /// The paid API nodes, as `ID (CLASS)`: the program refuses to start without COMFY_API_KEY.
  var paidNodes: [String]
  /// Header lines about values frozen at export (seed policies).
  var notes: [String]
}

/// The text of runnable programs doing what `run` + `watch` + `download` do; pure functions of their input.
enum ExportPrograms {
  static func program(_ language: ExportLanguage, for export: ExportedPrompt, file: String? = nil) -> String {
    switch language {
    case .python: python(export, file: file ?? language.suggestedFile)
    case .curl: curl(export, file: file ?? language.suggestedFile)
    case .js: javaScript(export, file: file ?? language.suggestedFile)
    }
  }

  /// The header every program starts with, without comment markers.
  static func header(
    _ language: ExportLanguage, _ export: ExportedPrompt, file: String, tool: String
  ) -> [String] {
    var lines = [
      "Runs a ComfyUI workflow exported by comfysh (`export \(language.rawValue)`) with \(tool): it posts the",
      "prompt to the server, waits until it has run, and saves every output file (with the server's",
      "file names, in subfolders as the server has them) into OUTPUT_DIR (default: the current folder),",
      "printing each path it wrote; like comfysh's `run`, `watch` and `download`.",
      "Server: \(export.server) (set COMFY_SERVER=http://HOST:PORT for another).",
      "Run:    \(language.runLine(file))",
      "The API key is read from the environment variable COMFY_API_KEY and never stored in this file;",
    ]
    if export.paidNodes.isEmpty {
      lines.append("this workflow has no paid API nodes, so it runs without one.")
    } else {
      lines.append(
        "this workflow has paid API nodes (\(export.paidNodes.joined(separator: ", "))), so it needs COMFY_API_KEY."
      )
    }
    lines += export.notes
    lines.append(
      "On a rejected prompt or a failed node it prints the server's error and exits with status 1.")
    return lines
  }

  // MARK: Python

  static func python(_ export: ExportedPrompt, file: String) -> String {
    var body: JSONObject = ["prompt": export.prompt, "extra_data": .object(export.extraData)]
    if export.front { body["front"] = true }
    let header = header(.python, export, file: file, tool: "Python's standard library and websocket-client")
      .map { "# \($0)" }
    let paid = JSONValue.array(export.paidNodes.map { .string($0) }).serialized()
    return """
      #!/usr/bin/env python3
      \(header.joined(separator: "\n"))
      # Written the way ComfyUI's script_examples/websockets_api_example.py is
      # (needs websocket-client: python3 -m pip install websocket-client).

      import json
      import os
      import sys
      import urllib.error
      import urllib.parse
      import urllib.request
      import uuid

      import websocket  # websocket-client (https://github.com/websocket-client/websocket-client)

      SERVER = (os.environ.get("COMFY_SERVER") or \(JSONValue.string(export.server).serialized())).rstrip("/")
      if "://" not in SERVER:
          SERVER = "http://" + SERVER
      PAID_API_NODES = \(paid)
      client_id = str(uuid.uuid4())

      # The POST /prompt body comfysh's `run` would send (client_id and the key are added when sending).
      BODY = json.loads(r\"\"\"
      \(JSONValue.object(body).serialized(.indented(2)))
      \"\"\")


      def fail(message):
          print("error: " + message, file=sys.stderr)
          sys.exit(1)


      def queue_prompt():
          body = dict(BODY, client_id=client_id)
          api_key = os.environ.get("COMFY_API_KEY")
          if api_key:
              body["extra_data"] = dict(body.get("extra_data", {}), api_key_comfy_org=api_key)
          data = json.dumps(body).encode("utf-8")
          request = urllib.request.Request(
              SERVER + "/prompt", data=data, headers={"Content-Type": "application/json"})
          try:
              with urllib.request.urlopen(request) as response:
                  return json.loads(response.read())["prompt_id"]
          except urllib.error.HTTPError as error:
              text = error.read().decode("utf-8", "replace")
              try:
                  reply = json.loads(text)
              except ValueError:
                  fail("POST /prompt: HTTP %d: %s" % (error.code, text))
              problem = reply.get("error", text)
              if isinstance(problem, dict):
                  problem = problem.get("message", "") + (": " + problem["details"] if problem.get("details") else "")
              lines = ["the server rejected the prompt (HTTP %d): %s" % (error.code, problem)]
              for node_id, node in (reply.get("node_errors") or {}).items():
                  for node_error in node.get("errors", []):
                      lines.append("  node %s (%s): %s: %s" % (
                          node_id, node.get("class_type", "?"), node_error.get("message", ""),
                          node_error.get("details", "")))
              fail("\\n".join(lines))


      def wait_until_done(ws, prompt_id):
          while True:
              out = ws.recv()
              if not isinstance(out, str):
                  continue  # binary frames are previews
              message = json.loads(out)
              data = message.get("data") or {}
              if data.get("prompt_id") != prompt_id:
                  continue
              if message["type"] == "execution_error":
                  fail("node %s (%s) failed: %s: %s" % (
                      data.get("node_id"), data.get("node_type"), data.get("exception_type"),
                      str(data.get("exception_message", "")).strip()))
              if message["type"] == "execution_interrupted":
                  fail("the prompt was interrupted at node %s" % data.get("node_id"))
              if message["type"] == "executing" and data.get("node") is None:
                  return  # execution is done


      def get_history(prompt_id):
          with urllib.request.urlopen(SERVER + "/history/" + urllib.parse.quote(prompt_id)) as response:
              return json.loads(response.read())[prompt_id]


      def get_file(filename, subfolder, folder_type):
          query = urllib.parse.urlencode({"filename": filename, "subfolder": subfolder, "type": folder_type})
          with urllib.request.urlopen(SERVER + "/view?" + query) as response:
              return response.read()


      def save_outputs(history, out_dir):
          written = []
          for node_id, node_output in history.get("outputs", {}).items():
              for items in node_output.values():
                  if not isinstance(items, list):
                      continue
                  for item in items:
                      if not (isinstance(item, dict) and "filename" in item and "type" in item):
                          continue  # not a file (e.g. a text output)
                      subfolder = item.get("subfolder", "")
                      # Names come from the server: keep them inside out_dir.
                      parts = [p for p in subfolder.split("/") if p not in ("", ".", "..")]
                      folder = os.path.join(out_dir, *parts)
                      os.makedirs(folder, exist_ok=True)
                      path = os.path.join(folder, os.path.basename(item["filename"]))
                      with open(path, "wb") as target:
                          target.write(get_file(item["filename"], subfolder, item["type"]))
                      print(path)
                      written.append(path)
          return written


      def main():
          out_dir = sys.argv[1] if len(sys.argv) > 1 else "."
          if PAID_API_NODES and not os.environ.get("COMFY_API_KEY"):
              fail("this workflow has paid API nodes (%s): set COMFY_API_KEY to your comfy.org API key"
                   % ", ".join(PAID_API_NODES))
          ws = websocket.WebSocket()
          try:
              ws.connect(SERVER.replace("http", "ws", 1) + "/ws?clientId=" + client_id)
              prompt_id = queue_prompt()
              wait_until_done(ws, prompt_id)
          except (OSError, websocket.WebSocketException) as error:
              fail("cannot talk to %s: %s" % (SERVER, error))
          finally:
              ws.close()
          history = get_history(prompt_id)
          if history.get("status", {}).get("status_str") == "error":
              fail("prompt %s ended with an error: %s" % (prompt_id, history["status"].get("messages")))
          if not save_outputs(history, out_dir):
              print("prompt %s wrote no files" % prompt_id, file=sys.stderr)


      if __name__ == "__main__":
          main()

      """
  }

  // MARK: curl

  static func curl(_ export: ExportedPrompt, file: String) -> String {
    let header = header(.curl, export, file: file, tool: "curl and a POSIX shell").map { "# \($0)" }
    var lines: [String] = []
    lines.append("#!/bin/sh")
    lines += header
    lines += [
      "# It polls GET /history/{id} once a second instead of listening on the WebSocket, and reads the",
      "# server's JSON with sed (no jq): names with quotes or non-ASCII characters are not decoded.",
      "set -eu",
      "",
      "server=${COMFY_SERVER:-\(shellQuoted(export.server))}",
      "case $server in *://*) ;; *) server=http://$server ;; esac",
      "server=${server%/}",
      "out_dir=${1:-.}",
      "key=${COMFY_API_KEY:-}",
      "# The key goes into JSON text as it is, so only these characters are accepted.",
      "case $key in",
      "  *[!A-Za-z0-9_-]*)",
      "    echo 'error: COMFY_API_KEY has characters other than letters, digits, _ and -' >&2",
      "    exit 1",
      "    ;;",
      "esac",
    ]
    if !export.paidNodes.isEmpty {
      lines += [
        "if [ -z \"$key\" ]; then",
        "  echo \(shellQuoted("error: this workflow has paid API nodes (\(export.paidNodes.joined(separator: ", "))): set COMFY_API_KEY to your comfy.org API key")) >&2",
        "  exit 1",
        "fi",
      ]
    }
    lines += [
      "",
      "# The string value of KEY in JSON TEXT, the last one on its line (escapes are left as they are).",
      "json_string() {",
      "  printf '%s\\n' \"$2\" | sed -n 's/.*\"'\"$1\"'\":[[:space:]]*\"\\([^\"\\\\]*\\(\\\\.[^\"\\\\]*\\)*\\)\".*/\\1/p' | head -n 1",
      "}",
      "",
      "# A fresh client id (a version 4 UUID) for each run.",
      "client_id=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \\n' |",
      "  sed 's/^\\(.\\{8\\}\\)\\(.\\{4\\}\\).\\(.\\{3\\}\\).\\(.\\{3\\}\\)\\(.\\{12\\}\\)$/\\1-\\2-4\\3-a\\4-\\5/')",
      "body=$(mktemp)",
      "reply=$(mktemp)",
      "trap 'rm -f \"$body\" \"$reply\"' EXIT",
      "",
      "# The POST /prompt body comfysh's `run` would send, with this run's client id and the key.",
      "{",
      "  printf '{\"client_id\": \"%s\", \"prompt\": ' \"$client_id\"",
      "  cat <<'COMFYSH_PROMPT'",
      export.prompt.serialized(.indented(2)),
      "COMFYSH_PROMPT",
      "  printf ', \"extra_data\": {'",
    ]
    if export.extraData.isEmpty {
      lines.append("  if [ -n \"$key\" ]; then printf '\"api_key_comfy_org\": \"%s\"' \"$key\"; fi")
    } else {
      lines.append("  if [ -n \"$key\" ]; then printf '\"api_key_comfy_org\": \"%s\", ' \"$key\"; fi")
      lines.append("  cat <<'COMFYSH_EXTRA'")
      lines.append(
        export.extraData.map { "\(JSONValue.string($0.key).serialized()): \($0.value.serialized())" }
          .joined(separator: ", "))
      lines.append("COMFYSH_EXTRA")
    }
    lines.append(export.front ? "  printf '}, \"front\": true}\\n'" : "  printf '}}\\n'")
    lines += [
      "} >\"$body\"",
      "",
      "status=$(curl -sS -o \"$reply\" -w '%{http_code}' -H 'Content-Type: application/json' \\",
      "  --data-binary @\"$body\" \"$server/prompt\") || { echo \"error: cannot reach $server\" >&2; exit 1; }",
      "response=$(cat \"$reply\")",
      "if [ \"$status\" != 200 ]; then",
      "  # {\"error\": {\"type\", \"message\", \"details\"}, \"node_errors\": {ID: {\"errors\": [...], \"class_type\"}}}",
      "  before_node_errors=${response%%\\\"node_errors\\\"*}",
      "  node_errors=${response#*\\\"node_errors\\\":}",
      "  message=$(json_string message \"$before_node_errors\")",
      "  echo \"error: the server rejected the prompt (HTTP $status): ${message:-$response}\" >&2",
      "  case $response in",
      "    *'\"node_errors\"'*) echo \"node_errors:$node_errors\" >&2 ;;",
      "  esac",
      "  exit 1",
      "fi",
      "prompt_id=$(json_string prompt_id \"$response\")",
      "echo \"queued $prompt_id on $server\" >&2",
      "",
      "# The history has the prompt once it has finished (or failed); until then it is {}.",
      "while :; do",
      "  history=$(curl -sS --fail \"$server/history/$prompt_id\") || { echo \"error: GET /history/$prompt_id failed\" >&2; exit 1; }",
      "  case $history in *[!{}[:space:]]*) break ;; esac",
      "  sleep 1",
      "done",
      "",
      "case $history in",
      "  *'\"status_str\": \"error\"'* | *'\"status_str\":\"error\"'*)",
      "    # [\"execution_error\", {\"node_id\", \"node_type\", \"exception_message\", \"exception_type\", \"traceback\", ...}]",
      "    failure=${history#*\\\"execution_error\\\"}",
      "    failure=${failure%%\\\"traceback\\\"*}",
      "    exception=$(json_string exception_message \"$failure\")",
      "    exception=${exception%\\\\n}",
      "    echo \"error: node $(json_string node_id \"$failure\") ($(json_string node_type \"$failure\")) failed: $(json_string exception_type \"$failure\"): $exception\" >&2",
      "    exit 1",
      "    ;;",
      "esac",
      "",
      "# Every {\"filename\": ..., \"subfolder\": ..., \"type\": ...} in the outputs (after the prompt, which is first).",
      "outputs=${history##*\\\"outputs\\\":}",
      "files=$(printf '%s\\n' \"$outputs\" | tr '{' '\\n' |",
      "  sed -n 's/^\"filename\":[[:space:]]*\"\\([^\"]*\\)\",[[:space:]]*\"subfolder\":[[:space:]]*\"\\([^\"]*\\)\",[[:space:]]*\"type\":[[:space:]]*\"\\([^\"]*\\)\".*/\\1|\\2|\\3/p')",
      "if [ -z \"$files\" ]; then",
      "  echo \"prompt $prompt_id wrote no files\" >&2",
      "  exit 0",
      "fi",
      "printf '%s\\n' \"$files\" | while IFS='|' read -r filename subfolder type; do",
      "  # Names come from the server: keep them inside out_dir.",
      "  case /$subfolder/ in */../*) echo \"error: refusing the subfolder $subfolder\" >&2; exit 1 ;; esac",
      "  folder=$out_dir${subfolder:+/$subfolder}",
      "  mkdir -p \"$folder\"",
      "  path=$folder/${filename##*/}",
      "  curl -sS --fail --get --data-urlencode \"filename=$filename\" --data-urlencode \"subfolder=$subfolder\" \\",
      "    --data-urlencode \"type=$type\" -o \"$path\" \"$server/view\"",
      "  printf '%s\\n' \"$path\"",
      "done",
      "",
    ]
    return lines.joined(separator: "\n")
  }

  /// `text` in single quotes for a POSIX shell.
  static func shellQuoted(_ text: String) -> String {
    "'" + text.replacing("'", with: "'\\''") + "'"
  }

  // MARK: JavaScript

  static func javaScript(_ export: ExportedPrompt, file: String) -> String {
    var body: JSONObject = ["prompt": export.prompt, "extra_data": .object(export.extraData)]
    if export.front { body["front"] = true }
    let header = header(.js, export, file: file, tool: "Node's built-in fetch and WebSocket").map {
      "// \($0)"
    }
    let paid = JSONValue.array(export.paidNodes.map { .string($0) }).serialized()
    return """
      // Node 20 needs --experimental-websocket (Node 22 has WebSocket without it): node --experimental-websocket \(file)
      \(header.joined(separator: "\n"))
      // An ES module: save it with the .mjs extension (or beside a package.json saying "type": "module").

      import { randomUUID } from "node:crypto";
      import { mkdir, writeFile } from "node:fs/promises";
      import { basename, join } from "node:path";

      const server = (process.env.COMFY_SERVER || \(JSONValue.string(export.server).serialized())).replace(/\\/+$/, "");
      const base = server.includes("://") ? server : `http://${server}`;
      const paidApiNodes = \(paid);
      const clientId = randomUUID();

      // The POST /prompt body comfysh's `run` would send (client_id and the key are added when sending).
      const body = \(JSONValue.object(body).serialized(.indented(2)));

      class Failure extends Error {}

      async function queuePrompt() {
        const request = { ...body, client_id: clientId, extra_data: { ...body.extra_data } };
        if (process.env.COMFY_API_KEY) request.extra_data.api_key_comfy_org = process.env.COMFY_API_KEY;
        const response = await fetch(`${base}/prompt`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(request),
        });
        const text = await response.text();
        if (response.ok) return JSON.parse(text).prompt_id;
        let reply;
        try {
          reply = JSON.parse(text);
        } catch {
          throw new Failure(`POST /prompt: HTTP ${response.status}: ${text}`);
        }
        let problem = reply.error ?? text;
        if (typeof problem === "object") problem = problem.message + (problem.details ? `: ${problem.details}` : "");
        const lines = [`the server rejected the prompt (HTTP ${response.status}): ${problem}`];
        for (const [nodeId, node] of Object.entries(reply.node_errors ?? {})) {
          for (const error of node.errors ?? []) {
            lines.push(`  node ${nodeId} (${node.class_type ?? "?"}): ${error.message}: ${error.details ?? ""}`);
          }
        }
        throw new Failure(lines.join("\\n"));
      }

      async function save(history, outDir) {
        const written = [];
        for (const nodeOutput of Object.values(history.outputs ?? {})) {
          for (const items of Object.values(nodeOutput)) {
            if (!Array.isArray(items)) continue;
            for (const item of items) {
              if (!item || typeof item !== "object" || !("filename" in item) || !("type" in item)) continue;
              const subfolder = item.subfolder ?? "";
              // Names come from the server: keep them inside outDir.
              const parts = subfolder.split("/").filter((part) => !["", ".", ".."].includes(part));
              const folder = join(outDir, ...parts);
              await mkdir(folder, { recursive: true });
              const query = new URLSearchParams({ filename: item.filename, subfolder, type: item.type });
              const response = await fetch(`${base}/view?${query}`);
              if (!response.ok) throw new Failure(`GET /view ${item.filename}: HTTP ${response.status}`);
              const path = join(folder, basename(item.filename));
              await writeFile(path, new Uint8Array(await response.arrayBuffer()));
              console.log(path);
              written.push(path);
            }
          }
        }
        return written;
      }

      async function main() {
        const outDir = process.argv[2] ?? ".";
        if (paidApiNodes.length > 0 && !process.env.COMFY_API_KEY) {
          throw new Failure(
            `this workflow has paid API nodes (${paidApiNodes.join(", ")}): set COMFY_API_KEY to your comfy.org API key`);
        }
        if (typeof WebSocket === "undefined") {
          throw new Failure("this Node has no WebSocket: run it with node --experimental-websocket (Node 20.10 or later)");
        }
        const ws = new WebSocket(`${base.replace(/^http/, "ws")}/ws?clientId=${clientId}`);
        await new Promise((resolve, reject) => {
          ws.onopen = resolve;
          ws.onerror = () => reject(new Failure(`cannot open the WebSocket of ${base}`));
        });
        // Messages can come before POST /prompt answers: they wait until the prompt id is known.
        let promptId = null;
        const early = [];
        let settle;
        const finished = new Promise((resolve, reject) => (settle = { resolve, reject }));
        const handle = (message) => {
          const data = message.data ?? {};
          if (data.prompt_id !== promptId) return;
          if (message.type === "execution_error") {
            settle.reject(new Failure(`node ${data.node_id} (${data.node_type}) failed: ${data.exception_type}: ${String(data.exception_message ?? "").trim()}`));
          } else if (message.type === "execution_interrupted") {
            settle.reject(new Failure(`the prompt was interrupted at node ${data.node_id}`));
          } else if (message.type === "executing" && data.node === null) {
            settle.resolve();
          }
        };
        ws.onmessage = (event) => {
          if (typeof event.data !== "string") return; // binary frames are previews
          const message = JSON.parse(event.data);
          if (promptId === null) early.push(message);
          else handle(message);
        };
        ws.onclose = () => settle.reject(new Failure("the server closed the WebSocket before the prompt finished"));
        try {
          promptId = await queuePrompt();
          early.forEach(handle);
          await finished;
        } finally {
          ws.onclose = null;
          ws.close();
        }
        const response = await fetch(`${base}/history/${encodeURIComponent(promptId)}`);
        const history = (await response.json())[promptId];
        if (history.status?.status_str === "error") {
          throw new Failure(`prompt ${promptId} ended with an error: ${JSON.stringify(history.status.messages)}`);
        }
        if ((await save(history, outDir)).length === 0) console.error(`prompt ${promptId} wrote no files`);
      }

      main().catch((error) => {
        console.error(`error: ${error instanceof Failure ? error.message : error.stack ?? error}`);
        process.exit(1);
      });

      """
  }
}
