#!/usr/bin/env python3
"""Drive a ComfyUI server (normally `comfysh sim`) the way ComfyUI's own
websockets_api_example.py does: urllib for HTTP, websocket-client for /ws.

It uploads an image, queues prompts, follows progress on the WebSocket,
reads history, downloads outputs with /view and checks what comes back.
Any failed check stops it with exit status 1.

usage: sim_client.py [HOST:PORT]        (default 127.0.0.1:8188)
"""

import json
import struct
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib

import websocket  # pip install websocket-client

SERVER = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:8188"
CLIENT_ID = uuid.uuid4().hex
CHECKS = 0


def check(condition, what):
    global CHECKS
    CHECKS += 1
    if not condition:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)


def http(method, path, body=None, headers=None):
    """Returns (status, body bytes, headers); HTTP errors are answers too."""
    request = urllib.request.Request(f"http://{SERVER}{path}", data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def get_json(path):
    status, body, _ = http("GET", path)
    check(status == 200, f"GET {path} answers 200 (got {status})")
    return json.loads(body)


def queue_prompt(prompt, prompt_id=None):
    payload = {"prompt": prompt, "client_id": CLIENT_ID}
    if prompt_id:
        payload["prompt_id"] = prompt_id
    status, body, _ = http("POST", "/prompt", json.dumps(payload).encode(), {"Content-Type": "application/json"})
    return status, json.loads(body)


def upload_image(data, name, overwrite=False):
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{name}"\r\n'
        f"Content-Type: image/png\r\n\r\n".encode() + data + b"\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\ninput\r\n'.encode(),
    ]
    if overwrite:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="overwrite"\r\n\r\ntrue\r\n'.encode())
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    status, answer, _ = http("POST", "/upload/image", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    check(status == 200, f"upload of {name} answers 200 (got {status})")
    return json.loads(answer)


def get_image(filename, subfolder, folder_type):
    query = urllib.parse.urlencode({"filename": filename, "subfolder": subfolder, "type": folder_type})
    status, body, headers = http("GET", f"/view?{query}")
    check(status == 200, f"/view of {filename} answers 200 (got {status})")
    check(headers.get("Content-Type") == "image/png", f"/view of {filename} is image/png")
    return body


def png(width, height, rgb):
    """A tiny PNG written with zlib, as a client would make one."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def png_text(data):
    """The tEXt chunks of a PNG, as a dict."""
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "an output is a PNG")
    text, offset = {}, 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        check(zlib.crc32(kind + body) == crc, f"PNG chunk {kind!r} has a valid CRC")
        if kind == b"tEXt":
            key, _, value = body.partition(b"\x00")
            text[key.decode("latin-1")] = value.decode("latin-1")
        offset += 12 + length
    return text


def follow(ws, prompt_id):
    """Reads the socket until the prompt ends; returns the messages and binary frames seen."""
    messages, frames = [], []
    while True:
        out = ws.recv()
        if isinstance(out, str):
            message = json.loads(out)
            messages.append(message)
            data = message["data"]
            if message["type"] == "execution_error":
                check(False, f"the prompt ran without error: {data.get('exception_message')}")
            if message["type"] == "executing" and data["node"] is None and data["prompt_id"] == prompt_id:
                return messages, frames
        else:
            frames.append(out)


def main():
    stats = get_json("/system_stats")
    check(stats["system"]["comfyui_version"] == "0.3.64", "the server says ComfyUI 0.3.64")
    print(f"server {SERVER}: ComfyUI {stats['system']['comfyui_version']}, {stats['system'].get('simulator', 'not a simulator')}")

    # Uploads: same bytes keep the name, other bytes are renamed.
    red = png(32, 24, (200, 30, 30))
    first = upload_image(red, "client-input.png", overwrite=True)
    check(first == {"name": "client-input.png", "subfolder": "", "type": "input"}, f"upload answer {first}")
    check(upload_image(red, "client-input.png")["name"] == "client-input.png", "same bytes keep their name")
    check(upload_image(png(4, 4, (0, 0, 0)), "client-input.png")["name"] == "client-input (1).png", "other bytes get (1)")
    choices = get_json("/object_info/LoadImage")["LoadImage"]["input"]["required"]["image"][0]
    check("client-input.png" in choices, "LoadImage lists the upload")

    ws = websocket.WebSocket()
    ws.connect(f"ws://{SERVER}/ws?clientId={CLIENT_ID}")
    ws.send(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": False}}))
    greeting = json.loads(ws.recv())
    check(greeting["type"] == "status" and greeting["data"]["sid"] == CLIENT_ID, "the socket is greeted with our sid")
    check(json.loads(ws.recv())["type"] == "feature_flags", "the server answers the feature_flags hello")

    # A rejected prompt: 400 with node errors, and nothing runs.
    status, answer = queue_prompt({"1": {"class_type": "EmptyImage", "inputs": {"width": "wide"}}})
    check(status == 400, f"an invalid prompt is refused (got {status})")
    check(answer["error"]["type"] in ("prompt_no_outputs", "prompt_outputs_failed_validation"), "the refusal says why")

    prompt = {
        "1": {"class_type": "LoadImage", "inputs": {"image": "client-input.png"}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "client/inverted"}},
        "4": {"class_type": "UpscaleModelLoader", "inputs": {"model_name": "sim-upscale-x2.safetensors"}},
        "5": {"class_type": "ImageUpscaleWithModel", "inputs": {"upscale_model": ["4", 0], "image": ["2", 0]}},
        "6": {"class_type": "GetImageSize", "inputs": {"image": ["5", 0]}},
        "7": {"class_type": "PreviewImage", "inputs": {"images": ["5", 0]}},
        "8": {"class_type": "EmptyImage", "inputs": {"width": ["6", 0], "height": ["6", 1], "batch_size": 1, "color": 0}},
        "9": {"class_type": "PreviewImage", "inputs": {"images": ["8", 0]}},
    }
    prompt_id = str(uuid.uuid4())
    status, answer = queue_prompt(prompt, prompt_id)
    check(status == 200 and answer["prompt_id"] == prompt_id, f"the prompt is queued under our id ({answer})")
    messages, frames = follow(ws, prompt_id)
    kinds = [m["type"] for m in messages]
    for kind in ("execution_start", "execution_cached", "executing", "progress", "executed", "execution_success"):
        check(kind in kinds, f"the run sends {kind}")
    check(kinds.index("execution_start") < kinds.index("execution_success"), "start comes before success")
    text_frames = [f for f in frames if f[:4] == b"\x00\x00\x00\x03"]
    check(any(b"width: 64, height: 48" in f for f in text_frames), "GetImageSize sends its text frame")

    history = get_json(f"/history/{prompt_id}")[prompt_id]
    check(history["status"]["status_str"] == "success", "history records success")
    check(history["prompt"][1] == prompt_id, "history keeps the prompt")
    saved = history["outputs"]["3"]["images"][0]
    check(saved["subfolder"] == "client" and saved["filename"].startswith("inverted_"), f"SaveImage output {saved}")
    chunks = png_text(get_image(saved["filename"], saved["subfolder"], saved["type"]))
    check(json.loads(chunks["prompt"])["2"]["class_type"] == "ImageInvert", "the PNG carries the prompt")
    preview = history["outputs"]["7"]["images"][0]
    check(preview["type"] == "temp", "PreviewImage writes to temp")
    get_image(preview["filename"], preview["subfolder"], preview["type"])

    # The identical prompt again: everything is cached, executed is re-sent.
    second_id = str(uuid.uuid4())
    queue_prompt(prompt, second_id)
    messages, _ = follow(ws, second_id)
    cached = next(m for m in messages if m["type"] == "execution_cached")["data"]["nodes"]
    check(sorted(cached) == sorted(prompt), f"an identical re-run is all cached ({cached})")
    check(not any(m["type"] == "executing" and m["data"]["node"] for m in messages), "cached nodes do not run")

    queue = get_json("/queue")
    check(queue == {"queue_running": [], "queue_pending": []}, "the queue is empty at the end")
    ws.close()
    print(f"ok: {CHECKS} checks passed against {SERVER}")


if __name__ == "__main__":
    main()
