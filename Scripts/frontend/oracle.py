#!/usr/bin/env python3
"""The differential oracle for UI→API conversion: ComfyUI's real frontend (comfyui-frontend-package
1.27.10, from PyPI) served by `comfysh sim --frontend`, driven by headless Chromium over the DevTools
protocol. Chromium resolves no host but 127.0.0.1.

  oracle.py corpus OUTDIR      build the corpus in the page (Scripts/frontend/corpus.js) and write
                               NAME.ui.json (what the frontend saves) and NAME.api.json (its
                               graphToPrompt output) plus index.json into OUTDIR
  oracle.py compare FILE...    load each UI file in the page (app.loadGraphData), take
                               app.graphToPrompt(), convert the same file with comfysh, compare

Environment: COMFYSH (the binary, default .build/debug/comfysh), CATALOG (object_info.json),
FRONTEND (the package's static/ folder; found with `import comfyui_frontend_package` when unset),
CHROMIUM (default chromium-headless-shell).
"""

import decimal
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # websocket-client

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEADLINE = 120.0


def frontend_folder():
    if os.environ.get("FRONTEND"):
        return os.environ["FRONTEND"]
    import comfyui_frontend_package  # noqa: the package is only static files and a path

    return os.path.join(os.path.dirname(comfyui_frontend_package.__file__), "static")


def read_line(stream, pattern, deadline, what):
    """Reads lines until one matches; fails with what was read when the process ends or time runs out."""
    seen = []
    while time.time() < deadline:
        line = stream.readline()
        if not line:
            break
        text = line.decode(errors="replace") if isinstance(line, bytes) else line
        seen.append(text)
        match = re.search(pattern, text)
        if match:
            return match
    raise RuntimeError(f"{what} did not start: {''.join(seen[-20:])}")


class CDP:
    """A minimal DevTools protocol client over one page's WebSocket."""

    def __init__(self, url):
        # Building the corpus takes minutes in one call; starting up has its own deadlines.
        self.ws = websocket.create_connection(url, timeout=1200, suppress_origin=True)
        self.next_id = 0
        self.console = []

    def call(self, method, **params):
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if message.get("method") == "Runtime.consoleAPICalled":
                args = message["params"].get("args", [])
                self.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in args))
            elif message.get("method") == "Runtime.exceptionThrown":
                details = message["params"]["exceptionDetails"]
                self.console.append("exception: " + json.dumps(details.get("exception", {}).get("description")))

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise RuntimeError(details.get("exception", {}).get("description") or details.get("text"))
        return result["result"].get("value")


class Page:
    """The simulator serving the frontend, and Chromium showing it."""

    def __init__(self):
        self.temp = tempfile.mkdtemp(prefix="comfysh-oracle-")
        self.sim = self.browser = None
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def _start(self):
        comfysh = os.environ.get("COMFYSH", os.path.join(ROOT, ".build/debug/comfysh"))
        catalog = os.environ.get("CATALOG", os.path.join(ROOT, "../shared/fixtures/comfyui/object_info.json"))
        deadline = time.time() + DEADLINE
        self.sim = subprocess.Popen(
            [comfysh, "sim", "--port", "0", "--frontend", frontend_folder(), "--catalog", catalog,
             "--data", os.path.join(self.temp, "data")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.base = read_line(self.sim.stdout, r"(http://127\.0\.0\.1:\d+)", deadline, "comfysh sim").group(1)
        chromium = os.environ.get("CHROMIUM", "chromium-headless-shell")
        self.browser = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-port=0", "--remote-allow-origins=*",
             # The page is never on a screen: keep its timers and frames at full speed.
             "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
             "--disable-backgrounding-occluded-windows",
             f"--user-data-dir={os.path.join(self.temp, 'chromium')}",
             "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
             "--window-size=1600,1000", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        endpoint = read_line(self.browser.stderr, r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", deadline,
                             "chromium")
        port = endpoint.group(1)
        pages = []
        while not pages and time.time() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list") as answer:
                pages = [t for t in json.load(answer) if t.get("type") == "page"]
        self.cdp = CDP(pages[0]["webSocketDebuggerUrl"])
        self.cdp.call("Runtime.enable")
        self.cdp.call("Page.enable")
        # comfysh converts with TZ=UTC, so %date:…% reads the same clock in the same zone.
        self.cdp.call("Emulation.setTimezoneOverride", timezoneId="UTC")
        self.cdp.call("Page.navigate", url=self.base + "/")
        ready = "!!(window.comfyAPI && window.comfyAPI.app && window.comfyAPI.app.app && window.comfyAPI.app.app.graph" \
                " && window.comfyAPI.app.app.canvas && window.LiteGraph)"
        while time.time() < deadline:
            try:
                if self.cdp.evaluate(ready):
                    break
            except RuntimeError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("the frontend page did not start: " + "\n".join(self.cdp.console[-20:]))
        # Extensions register their node hooks while the page finishes loading the node definitions.
        while time.time() < deadline:
            if self.cdp.evaluate("Object.keys(window.LiteGraph.registered_node_types).length > 400"):
                break
            time.sleep(0.2)
        with open(os.path.join(HERE, "corpus.js")) as source:
            self.cdp.evaluate(source.read())

    def convert(self, ui_text, ms=None):
        """What the frontend queues for this UI workflow: loadGraphData, then graphToPrompt(), with the
        page's clock at `ms` (milliseconds since 1970) when given."""
        return self.cdp.evaluate(f"window.comfyshOracle.convert({json.dumps(ui_text)}, {json.dumps(ms)})")

    def close(self):
        # Debian's chromium-headless-shell is a shell script around the browser, which starts helper
        # processes of its own: end the whole process group the browser was started in.
        if self.browser is not None:
            try:
                os.killpg(self.browser.pid, 15)
            except ProcessLookupError:
                pass
        for process in (self.browser, self.sim):
            if process is None:
                continue
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        shutil.rmtree(self.temp, ignore_errors=True)


def comfysh_convert(path):
    comfysh = os.environ.get("COMFYSH", os.path.join(ROOT, ".build/debug/comfysh"))
    catalog = os.environ.get("CATALOG", os.path.join(ROOT, "../shared/fixtures/comfyui/object_info.json"))
    env = dict(os.environ, TZ="UTC")
    result = subprocess.run(
        [comfysh, "--no-init", "--catalog", catalog, "-c", f"load --ui {json.dumps(path)}; json"],
        capture_output=True, text=True, env=env, timeout=DEADLINE)
    if result.returncode != 0:
        return None, (result.stdout + result.stderr).strip()
    text = result.stdout
    start = text.find("{")
    return text[start:], None


def parse(text):
    """Parsed with member order kept and numbers as exact decimals, so order and digits both count."""
    return json.loads(text, object_pairs_hook=lambda pairs: ("object", pairs), parse_float=decimal.Decimal)


def compare(files):
    page = Page()
    used = 0
    counts = {}
    failures = []
    documented = []
    skipped = []
    try:
        for path in files:
            category = "recorded (../shared ui-to-api)"
            index = os.path.join(os.path.dirname(path), "index.json")
            name = os.path.basename(path)[: -len(".ui.json")] if path.endswith(".ui.json") else os.path.basename(path)
            entry = {}
            if os.path.exists(index):
                with open(index) as f:
                    entries = {e["name"]: e for e in json.load(f).get("cases", [])}
                entry = entries.get(name, {})
                category = entry.get("category", category)
            if entry.get("slow") and not os.environ.get("ALL"):
                skipped.append(path)
                continue
            with open(path) as f:
                ui_text = f.read()
            # A fresh page every few files: one that has loaded many graphs slows down.
            used += 1
            if used > 12:
                page.close()
                page = Page()
                used = 1
            # comfysh reads the clock once, between `before` and `after`: %date:…% (to the second)
            # matches the page's text at one of the seconds in between.
            before = int(time.time() * 1000)
            actual, error = comfysh_convert(path)
            after = int(time.time() * 1000)
            moments = list(range(before - before % 1000, after + 1, 1000)) or [before]
            same = False
            for ms in moments:
                expected = page.convert(ui_text, ms)
                same = actual is not None and parse(actual) == parse(expected)
                if same or actual is None or "%date:" not in ui_text:
                    break
            if not same and entry.get("difference") and actual is not None:
                # A documented difference: the frontend still gives what it gave, comfysh what it chose.
                with open(path[: -len(".ui.json")] + ".api.json") as f:
                    frontend_then = f.read()
                with open(path[: -len(".ui.json")] + ".comfysh.json") as f:
                    comfysh_then = f.read()
                if parse(expected) == parse(frontend_then) and parse(actual) == parse(comfysh_then):
                    documented.append((path, entry["difference"]))
                    continue
            total, matched = counts.get(category, (0, 0))
            counts[category] = (total + 1, matched + (1 if same else 0))
            if not same:
                failures.append((path, expected, actual if actual is not None else error))
    finally:
        page.close()
    for path, expected, actual in failures:
        print(f"DIFFERENT {path}\n  frontend: {expected}\n  comfysh:  {actual}")
    total = sum(t for t, _ in counts.values())
    matched = sum(m for _, m in counts.values())
    for category, (t, m) in sorted(counts.items()):
        print(f"  {category:<28} {m}/{t} match")
    for path in skipped:
        print(f"  not run (slow in the page; the unit tests compare its recorded output; ALL=1 runs it): "
              f"{os.path.basename(path)}")
    for path, why in documented:
        print(f"  documented difference: {os.path.basename(path)}: {why}")
    print(f"frontend differential: {matched} of {total} identical, {len(documented)} documented differences, "
          f"{total - matched} unexplained")
    return 0 if matched == total else 1


def build_corpus(outdir):
    # A page slows down as it loads graph after graph (each load opens a workflow tab and keeps its
    # widgets), so the cases are built a few at a time, each batch in a fresh page.
    only = os.environ.get("ONLY")
    page = Page()
    try:
        names = only.split(",") if only else page.cdp.evaluate("window.comfyshOracle.cases.map((c) => c.name)")
    finally:
        page.close()
    cases = []
    for start in range(0, len(names), 8):
        batch = names[start:start + 8]
        page = Page()
        try:
            cases += page.cdp.evaluate(f"window.comfyshOracle.buildAll({json.dumps(batch)})")
        finally:
            page.close()
    os.makedirs(outdir, exist_ok=True)
    index = []
    failed = [case for case in cases if case.get("error")]
    for case in failed:
        print(f"case {case['name']} failed in the page: {case['error']}", file=sys.stderr)
    if failed:
        return 1
    for case in cases:
        for suffix, text in (("ui", case["ui"]), ("api", case["api"])):
            with open(os.path.join(outdir, f"{case['name']}.{suffix}.json"), "w") as f:
                f.write(json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n")
        entry = {"name": case["name"], "category": case["category"], "covers": case["covers"]}
        if case.get("slow"):
            # Minutes in the page: the unit tests compare it from the files; `compare` skips it unless ALL=1.
            entry["slow"] = True
        if case.get("difference"):
            # What comfysh gives instead, on purpose; the check and the unit tests hold it to this.
            entry["difference"] = case["difference"]
            path = os.path.join(outdir, f"{case['name']}.ui.json")
            actual, error = comfysh_convert(path)
            if actual is None:
                print(f"comfysh cannot convert {path}: {error}", file=sys.stderr)
                return 1
            with open(os.path.join(outdir, f"{case['name']}.comfysh.json"), "w") as f:
                f.write(json.dumps(json.loads(actual), indent=2, ensure_ascii=False) + "\n")
        index.append(entry)
    with open(os.path.join(outdir, "index.json"), "w") as f:
        json.dump({
            "frontend_version": "1.27.10",
            "how": "built in the real frontend page by Scripts/frontend/corpus.js (LiteGraph.createNode, connect, "
                   "graph.convertToSubgraph, the group-node extension), saved with app.graph.serialize() and "
                   "converted with app.graphToPrompt() after app.loadGraphData of the saved file",
            "cases": index}, f, indent=2)
        f.write("\n")
    print(f"wrote {len(index)} cases to {outdir}")
    return 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "corpus":
        return build_corpus(argv[1])
    if len(argv) >= 2 and argv[0] == "compare":
        return compare(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    # A SIGTERM (Scripts/test.sh's time limit) unwinds like Ctrl-C, so the browser and simulator,
    # started in their own process groups, are ended by Page.close.
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main(sys.argv[1:]))
