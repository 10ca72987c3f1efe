#!/usr/bin/env python3
"""The comparison client for Docs/performance.md ("Run and watch").

It does what ComfyUI's own script_examples/websockets_api_example.py does, with the same libraries
(urllib from the standard library, websocket-client from PyPI): open /ws?clientId=..., POST /prompt
with that client_id, read messages until `executing` with node null for the prompt, then GET
/history/{id} for the outputs. Like `comfysh -c 'load FILE; seed N.seed randomize; run; watch'` it
gives the seed a new random value first, so nothing comes from the server's cache.

    bench_client.py --server 127.0.0.1:8188 --workflow Docs/examples/txt2img.json
    bench_client.py --server 127.0.0.1:8188 --workflow Docs/examples/txt2img.json --sweep 20
"""
import argparse
import json
import random
import sys
import time
import urllib.request
import uuid

import websocket  # websocket-client


def queue_prompt(server, client_id, prompt):
    body = json.dumps({"prompt": prompt, "client_id": client_id}).encode("utf-8")
    request = urllib.request.Request(f"http://{server}/prompt", data=body)
    return json.loads(urllib.request.urlopen(request).read())


def get_history(server, prompt_id):
    with urllib.request.urlopen(f"http://{server}/history/{prompt_id}") as response:
        return json.loads(response.read())


def run_and_watch(ws, server, client_id, prompt):
    """Queues one prompt and follows it to its end; returns its output files and message count."""
    prompt_id = queue_prompt(server, client_id, prompt)["prompt_id"]
    messages = 0
    while True:
        out = ws.recv()
        messages += 1
        if isinstance(out, str):
            message = json.loads(out)
            if message["type"] == "executing":
                data = message["data"]
                if data["node"] is None and data["prompt_id"] == prompt_id:
                    break
            elif message["type"] == "execution_error" and message["data"]["prompt_id"] == prompt_id:
                raise SystemExit(f"prompt failed: {message['data']['exception_message']}")
        # binary frames (previews) are skipped, as in the example
    history = get_history(server, prompt_id)[prompt_id]
    files = []
    for node_id, node_output in history["outputs"].items():
        for image in node_output.get("images", []):
            files.append("/".join(part for part in (image["type"], image["subfolder"], image["filename"]) if part))
    return prompt_id, files, messages


def seed_input(prompt, node):
    inputs = prompt[node]["inputs"]
    return "seed" if "seed" in inputs else "noise_seed"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="127.0.0.1:8188")
    parser.add_argument("--workflow", required=True)
    parser.add_argument("--seed-node", default="3")
    parser.add_argument("--sweep", type=int, default=0, help="run N prompts over one connection, seed 1..N")
    args = parser.parse_args()

    with open(args.workflow) as f:
        prompt = json.load(f)
    client_id = str(uuid.uuid4())
    ws = websocket.WebSocket()
    ws.connect(f"ws://{args.server}/ws?clientId={client_id}")
    name = seed_input(prompt, args.seed_node)
    started = time.monotonic()
    if args.sweep:
        for seed in range(1, args.sweep + 1):
            prompt[args.seed_node]["inputs"][name] = seed
            run_and_watch(ws, args.server, client_id, prompt)
        elapsed = time.monotonic() - started
        print(f"{args.sweep} prompts in {elapsed:.3f} s: {args.sweep / elapsed:.1f} prompts/s", file=sys.stderr)
    else:
        prompt[args.seed_node]["inputs"][name] = random.randint(0, 2**50)
        prompt_id, files, messages = run_and_watch(ws, args.server, client_id, prompt)
        print(f"{prompt_id} done · {messages} messages · {' '.join(files)}")
    ws.close()


if __name__ == "__main__":
    main()
