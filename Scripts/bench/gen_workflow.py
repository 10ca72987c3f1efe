#!/usr/bin/env python3
"""Writes a generated API-format workflow of N nodes (default 2000) for benchmarks.

Chains of EmptyImage → ImageInvert → ImageScale → SaveImage, with large seeds and float text that must
survive a round trip, laid out like ComfyUI's "Export (API)" (2-space JSON).
"""
import json
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
out = sys.argv[2] if len(sys.argv) > 2 else "/dev/stdout"
prompt = {}
i = 1
while i <= n:
    prompt[str(i)] = {"inputs": {"width": 512, "height": 512, "batch_size": 1, "color": 16711680 + i},
                      "class_type": "EmptyImage", "_meta": {"title": f"Source {i}"}}
    if i + 1 <= n:
        prompt[str(i + 1)] = {"inputs": {"image": [str(i), 0]}, "class_type": "ImageInvert",
                              "_meta": {"title": "Invert Image"}}
    if i + 2 <= n:
        prompt[str(i + 2)] = {"inputs": {"upscale_method": "nearest-exact", "width": 256, "height": 256,
                                         "crop": "disabled", "image": [str(i + 1), 0]},
                              "class_type": "ImageScale", "_meta": {"title": "Upscale Image"}}
    if i + 3 <= n:
        prompt[str(i + 3)] = {"inputs": {"filename_prefix": f"bench/{i}", "images": [str(i + 2), 0]},
                              "class_type": "SaveImage", "_meta": {"title": "Save Image"}}
    i += 4
with open(out, "w") as f:
    f.write(json.dumps(prompt, indent=2, ensure_ascii=False))
    f.write("\n")
