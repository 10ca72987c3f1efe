#!/usr/bin/env bash
# Decoding a 1024×1024 picture in each format, and encoding it with each terminal protocol
# (comfysh-media-bench), next to Pillow decoding the same files in the same run.
# Needs Pillow (Debian's python3-pil); the pictures are made fresh in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
python=python3
$python -c 'import PIL' 2>/dev/null || python=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
Scripts/build-release.sh comfysh-media-bench
bin="$(Scripts/build-release.sh --show-bin-path)/comfysh-media-bench"
echo "== $(uname -m), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
$python - "$work" <<'PY'
import sys, time, math, random
from PIL import Image, ImageDraw, ImageFilter
folder = sys.argv[1]
random.seed(1)
# A stand-in for a generated picture: smooth colour fields, shapes with soft edges, fine noise.
W = H = 1024
base = Image.new("RGB", (W, H))
px = base.load()
for y in range(H):
    for x in range(W):
        px[x, y] = (int(127 + 120 * math.sin(x / 97.0 + y / 211.0)), int(127 + 120 * math.sin(y / 73.0)),
                    int(127 + 120 * math.cos((x + y) / 157.0)))
draw = ImageDraw.Draw(base)
for _ in range(40):
    x, y, r = random.randrange(W), random.randrange(H), random.randrange(20, 160)
    draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(random.randrange(256) for _ in range(3)))
base = base.filter(ImageFilter.GaussianBlur(1.5))
noise = Image.effect_noise((W, H), 12).convert("RGB")
base = Image.blend(base, noise, 0.08)
rgba = base.copy()
rgba.putalpha(Image.linear_gradient("L").resize((W, H)))
base.save(f"{folder}/photo.png")
rgba.save(f"{folder}/photo-rgba.png")
base.save(f"{folder}/photo-420.jpg", quality=90, subsampling=2)
base.save(f"{folder}/photo-444.jpg", quality=90, subsampling=0)
base.save(f"{folder}/photo-progressive.jpg", quality=90, progressive=True)
base.save(f"{folder}/photo-lossy.webp", quality=80)
base.save(f"{folder}/photo-lossless.webp", lossless=True)
base.save(f"{folder}/photo.gif")
print("== Pillow", __import__("PIL").__version__, "decode 1024×1024 (median of 11)")
for name in ["photo.png", "photo-rgba.png", "photo-420.jpg", "photo-progressive.jpg", "photo-444.jpg",
             "photo-lossy.webp", "photo-lossless.webp", "photo.gif"]:
    samples = []
    for i in range(12):
        start = time.perf_counter()
        im = Image.open(f"{folder}/{name}")
        im.load()
        samples.append((time.perf_counter() - start) * 1000)
    samples = sorted(samples[1:])
    print(f"Pillow decode {name}\t{samples[5]:.2f} ms")
PY
"$bin" "$work"
