#!/usr/bin/env python3
"""Start-up time to a usable interactive prompt: spawns comfysh in a pseudo-terminal and measures the
time until its prompt is on the screen, next to `python3 -q` reaching its `>>>` prompt the same way.

usage: prompt_latency.py BINARY [RUNS]
"""
import os
import re
import pty
import select
import statistics
import sys
import time


def time_to_prompt(argv, prompt: bytes, quit_text: bytes) -> float:
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    start = time.perf_counter()
    seen = b""
    elapsed = None
    while elapsed is None:
        ready, _, _ = select.select([fd], [], [], 5)
        if not ready:
            os.kill(pid, 9)
            raise SystemExit(f"no prompt from {argv}: {seen!r}")
        chunk = os.read(fd, 4096)
        seen += chunk
        # The prompt may be styled (bold): look for it with colour sequences taken out.
        if prompt in re.sub(rb"\x1b\[[0-9;]*m", b"", seen):
            elapsed = time.perf_counter() - start
    os.write(fd, quit_text)
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 2)
            if not ready or not os.read(fd, 4096):
                break
    except OSError:
        pass
    os.waitpid(pid, 0)
    os.close(fd)
    return elapsed * 1000


def main() -> None:
    binary = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    cases = [
        ("python3 -q to >>>", ["python3", "-q"], b">>> ", b"exit()\n"),
        ("comfysh to prompt", [binary, "--no-init"], b"comfy> ", b"quit\n"),
    ]
    results = {label: [] for label, *_ in cases}
    for i in range(runs + 2):
        for label, argv, prompt, quit_text in cases:
            value = time_to_prompt(argv, prompt, quit_text)
            if i >= 2:
                results[label].append(value)
    for label, values in results.items():
        values.sort()
        print(f"{label}\tmedian {statistics.median(values):.2f} ms\tmin {values[0]:.2f} ms\t(n={len(values)})")


if __name__ == "__main__":
    main()
