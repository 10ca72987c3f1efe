#!/usr/bin/env python3
"""Writes the small test files under Tests/Fixtures/Media/ that the Media decoders are checked against.

Run once (the files are committed): `python3 Scripts/make-media-fixtures.py`. Needs Pillow (Debian's
python3-pil or `pip install Pillow`), ImageMagick's `convert`, libjpeg-turbo's `cjpeg`
(libjpeg-turbo-progs) and `ffmpeg`, all from Debian.

Every still image is written by a real encoder (Pillow's libpng/libjpeg/libwebp/GIF writers,
ImageMagick, cjpeg) from one synthetic picture, then decoded by Pillow; that decoding is stored
beside it as NAME.rgba.z (zlib-compressed RGBA rows, width and height in manifest.json) and is what
the Swift decoders must reproduce within the tolerance manifest.json gives. The audio and video
files are made by ffmpeg; manifest.json records what ffprobe says of them (duration, size, rate).
"""
import json, os, subprocess, sys, zlib, struct, math, tempfile

from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "..", "Tests", "Fixtures", "Media")
os.makedirs(out, exist_ok=True)
manifest = {"images": [], "media": []}
W, H = 40, 30


def picture(alpha=True):
    """Gradients, a hard edge, a disc and an alpha ramp: smooth areas for JPEG, edges for everything."""
    im = Image.new("RGBA", (W, H))
    px = im.load()
    for y in range(H):
        for x in range(W):
            r = x * 255 // (W - 1)
            g = y * 255 // (H - 1)
            b = 220 if (x - 26) ** 2 + (y - 14) ** 2 < 64 else (40 if x < 12 else 120)
            a = 255 if not alpha else (255 if y < 10 else max(0, 255 - (y - 10) * 12))
            px[x, y] = (r, g, b, a)
    return im


def reference(path, name, tolerance, kind, note, grey16=False):
    im = Image.open(path)
    im.seek(0)
    if grey16:
        values = [v >> 8 for v in im.getdata()]
        rgba = bytes(b for v in values for b in (v, v, v, 255))
    else:
        rgba = im.convert("RGBA").tobytes()
    assert len(rgba) == im.size[0] * im.size[1] * 4
    with open(os.path.join(out, name + ".rgba.z"), "wb") as f:
        f.write(zlib.compress(rgba, 9))
    manifest["images"].append({
        "file": os.path.basename(path), "reference": name + ".rgba.z", "width": im.size[0],
        "height": im.size[1], "format": kind, "meanTolerance": tolerance[0], "maxTolerance": tolerance[1],
        "made": note,
    })


def still(name, ext, kind, save, tolerance=(0, 0), note="", grey16=False):
    path = os.path.join(out, f"{name}.{ext}")
    save(path)
    reference(path, name, tolerance, kind, note, grey16)


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


rgba = picture()
rgb = picture(alpha=False).convert("RGB")
tmp = tempfile.mkdtemp()
base_png = os.path.join(tmp, "base.png")
rgba.save(base_png)
base_ppm = os.path.join(tmp, "base.ppm")
rgb.save(base_ppm)

# PNG: every colour type and depth.
still("png-rgb8", "png", "png", lambda p: rgb.save(p), note="Pillow RGB")
still("png-rgba8", "png", "png", lambda p: rgba.save(p), note="Pillow RGBA")
still("png-grey8", "png", "png", lambda p: rgb.convert("L").save(p), note="Pillow L")
still("png-greyalpha8", "png", "png", lambda p: rgba.convert("LA").save(p), note="Pillow LA")
still("png-grey1", "png", "png", lambda p: rgb.convert("1").save(p), note="Pillow mode 1 (dithered)")
still("png-grey-trns", "png", "png", lambda p: rgb.convert("L").save(p, transparency=120),
      note="Pillow L with tRNS grey 120")
still("png-rgb-trns", "png", "png", lambda p: rgb.quantize(8).convert("RGB").save(p, transparency=tuple(rgb.quantize(8).convert("RGB").getpixel((0, 0)))),
      note="Pillow RGB with a tRNS colour")
for colours, label in [(256, "8"), (16, "4"), (4, "2"), (2, "1")]:
    still(f"png-palette{label}", "png", "png", lambda p, c=colours, b=int(label): rgba.quantize(c).save(p, bits=b),
          note=f"Pillow P, {colours} colours (bit depth {label})")
pal = rgba.quantize(16, method=Image.Quantize.FASTOCTREE)
still("png-palette-trns", "png", "png", lambda p: pal.save(p), note="Pillow P from RGBA (octree), tRNS alpha")
still("png-rgb16", "png", "png", lambda p: run("convert", base_ppm, "-depth", "16", "PNG48:" + p),
      note="ImageMagick PNG48")
still("png-rgba16", "png", "png", lambda p: run("convert", base_png, "-depth", "16", "PNG64:" + p),
      note="ImageMagick PNG64")
still("png-grey16", "png", "png", lambda p: run("convert", base_ppm, "-colorspace", "Gray", "-depth", "16", "PNG:" + p),
      note="ImageMagick 16-bit grey", grey16=True)
still("png-grey2", "png", "png", lambda p: run("convert", base_ppm, "-colorspace", "Gray", "-depth", "2", "-define", "png:bit-depth=2", "-define", "png:color-type=0", p),
      note="ImageMagick 2-bit grey")
still("png-grey4", "png", "png", lambda p: run("convert", base_ppm, "-colorspace", "Gray", "-depth", "4", "-define", "png:bit-depth=4", "-define", "png:color-type=0", p),
      note="ImageMagick 4-bit grey")
still("png-interlaced-rgba", "png", "png", lambda p: run("convert", base_png, "-interlace", "PNG", "PNG32:" + p),
      note="ImageMagick Adam7 RGBA")
still("png-interlaced-palette", "png", "png",
      lambda p: (rgba.quantize(16).save(os.path.join(tmp, "p.png")), run("convert", os.path.join(tmp, "p.png"), "-interlace", "PNG", "PNG8:" + p)),
      note="ImageMagick Adam7 palette")
still("png-interlaced-grey1", "png", "png",
      lambda p: (rgb.convert("1").save(os.path.join(tmp, "g.png")), run("convert", os.path.join(tmp, "g.png"), "-interlace", "PNG", "-define", "png:bit-depth=1", p)),
      note="ImageMagick Adam7 1-bit grey")

# JPEG: the subsamplings Pillow and cameras write, progressive, restart intervals, grey, CMYK.
jt = (0.1, 3)  # measured: mean 0.02, max 2 (float IDCT against libjpeg-turbo islow)
still("jpeg-444", "jpg", "jpeg", lambda p: rgb.save(p, quality=90, subsampling=0), jt, "Pillow 4:4:4 q90")
still("jpeg-422", "jpg", "jpeg", lambda p: rgb.save(p, quality=90, subsampling=1), jt, "Pillow 4:2:2 q90")
still("jpeg-420", "jpg", "jpeg", lambda p: rgb.save(p, quality=85, subsampling=2), jt, "Pillow 4:2:0 q85")
still("jpeg-progressive", "jpg", "jpeg", lambda p: rgb.save(p, quality=85, progressive=True), jt,
      "Pillow progressive 4:2:0 q85")
still("jpeg-progressive-444", "jpg", "jpeg", lambda p: rgb.save(p, quality=95, progressive=True, subsampling=0), jt,
      "Pillow progressive 4:4:4 q95")
still("jpeg-grey", "jpg", "jpeg", lambda p: rgb.convert("L").save(p, quality=90), jt, "Pillow L q90")
still("jpeg-restart", "jpg", "jpeg", lambda p: run("sh", "-c", f"cjpeg -quality 85 -sample 2x2 -restart 1B {base_ppm} > {p}"), jt,
      "cjpeg 4:2:0, a restart marker every MCU")
still("jpeg-411", "jpg", "jpeg", lambda p: run("sh", "-c", f"cjpeg -quality 90 -sample 4x1 -restart 2 {base_ppm} > {p}"), jt,
      "cjpeg 4:1:1, restart every 2 rows")
still("jpeg-440", "jpg", "jpeg", lambda p: run("sh", "-c", f"cjpeg -quality 90 -sample 1x2 {base_ppm} > {p}"), jt,
      "cjpeg 4:4:0")
still("jpeg-progressive-restart", "jpg", "jpeg", lambda p: run("sh", "-c", f"cjpeg -quality 80 -progressive -restart 1B {base_ppm} > {p}"), jt,
      "cjpeg progressive 4:2:0 with restart markers")
still("jpeg-optimized", "jpg", "jpeg", lambda p: rgb.save(p, quality=75, optimize=True), jt, "Pillow optimised Huffman tables q75")
still("jpeg-cmyk", "jpg", "jpeg", lambda p: rgb.convert("CMYK").save(p, quality=95), jt, "Pillow CMYK (Adobe APP14)")

# WEBP: lossy (VP8), lossy with alpha (VP8X + ALPH), lossless (VP8L), animated.
wt = (0.05, 2)  # measured: exact (the decoder follows libwebp)
still("webp-lossy", "webp", "webp", lambda p: rgb.save(p, quality=80), wt, "Pillow/libwebp lossy q80")
still("webp-lossy-alpha", "webp", "webp", lambda p: rgba.save(p, quality=80), wt, "Pillow/libwebp lossy q80 with ALPH")
still("webp-lossless", "webp", "webp", lambda p: rgb.save(p, lossless=True), note="Pillow/libwebp lossless")
still("webp-lossless-alpha", "webp", "webp", lambda p: rgba.save(p, lossless=True), note="Pillow/libwebp lossless RGBA")
still("webp-lossless-palette", "webp", "webp", lambda p: rgba.quantize(12).convert("RGBA").save(p, lossless=True),
      note="Pillow/libwebp lossless, 12 colours (colour-indexing transform)")
still("webp-cwebp-q50", "webp", "webp", lambda p: run("cwebp", "-quiet", "-q", "50", "-sharp_yuv", base_png, "-o", p), wt,
      "cwebp -q 50 -sharp_yuv (lossy with alpha)")


def frames(n):
    return [picture().rotate(i * 90 / n).convert("RGBA") for i in range(n)]


still("webp-animated", "webp", "webp", lambda p: frames(3)[0].save(p, save_all=True, append_images=frames(3)[1:], duration=[100, 150, 200], loop=0, lossless=True),
      note="Pillow animated WEBP, 3 frames (100+150+200 ms), lossless")
still("webp-animated-lossy", "webp", "webp", lambda p: frames(3)[0].save(p, save_all=True, append_images=frames(3)[1:], duration=120, quality=70), wt,
      note="Pillow animated WEBP, 3 × 120 ms, lossy")

# GIF: one frame, transparency, interlace, animation.
still("gif-still", "gif", "gif", lambda p: rgb.save(p, interlace=False), note="Pillow GIF, not interlaced")
still("gif-interlaced", "gif", "gif", lambda p: rgb.save(p, interlace=True), note="Pillow GIF, interlaced")
still("gif-transparent", "gif", "gif", lambda p: rgba.quantize(32).save(p, transparency=0), note="Pillow GIF, palette index 0 transparent")
still("gif-animated", "gif", "gif", lambda p: frames(4)[0].convert("RGB").save(p, save_all=True, append_images=[f.convert("RGB") for f in frames(4)[1:]], duration=80, loop=0),
      note="Pillow animated GIF, 4 × 80 ms")
still("gif-imagemagick", "gif", "gif", lambda p: run("convert", base_png, p), note="ImageMagick GIF")

# Media info: ffmpeg makes each container; ffprobe says what it holds.
def probe(path):
    text = subprocess.run(["ffprobe", "-v", "quiet", "-print_format", "json", "-show_format", "-show_streams", path],
                          check=True, capture_output=True, text=True).stdout
    return json.loads(text)


def media(name, args, note):
    path = os.path.join(out, name)
    run("ffmpeg", "-y", "-v", "quiet", *args, path)
    info = probe(path)
    entry = {"file": name, "made": note, "duration": float(info["format"].get("duration", 0))}
    for s in info["streams"]:
        if s["codec_type"] == "video":
            entry["width"], entry["height"] = s["width"], s["height"]
            if "nb_frames" in s:
                entry["frames"] = int(s["nb_frames"])
        if s["codec_type"] == "audio":
            entry["sampleRate"] = int(s["sample_rate"])
            entry["channels"] = s["channels"]
    manifest["media"].append(entry)


video = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1.5"]
tone = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050:duration=1.25"]
media("video.mp4", video + tone + ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"], "ffmpeg H.264 + AAC in MP4")
media("video.mov", video + ["-c:v", "mpeg4"], "ffmpeg MPEG-4 part 2 in QuickTime")
media("video.webm", video + tone + ["-c:v", "libvpx", "-b:v", "100k", "-c:a", "libopus", "-shortest"], "ffmpeg VP8 + Opus in WebM")
media("video.mkv", video + ["-c:v", "libx264", "-pix_fmt", "yuv420p"], "ffmpeg H.264 in Matroska")
media("audio.wav", tone + ["-ac", "2"], "ffmpeg 16-bit PCM stereo")
media("audio.flac", tone, "ffmpeg FLAC mono")
media("audio.mp3", tone + ["-c:a", "libmp3lame", "-b:a", "64k"], "ffmpeg LAME 64 kb/s CBR")
media("audio.ogg", tone + ["-c:a", "libvorbis"], "ffmpeg Vorbis in Ogg")
media("audio.opus", ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1.25", "-c:a", "libopus", "-ac", "2"], "ffmpeg Opus in Ogg")
for entry in manifest["images"]:
    if entry["file"].startswith(("webp-animated", "gif-animated")):
        im = Image.open(os.path.join(out, entry["file"]))
        entry["frames"] = im.n_frames
        total = 0
        for i in range(im.n_frames):
            im.seek(i)
            im.load()
            total += im.info.get("duration", 0)
        entry["durationMs"] = total

with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"wrote {len(manifest['images'])} images and {len(manifest['media'])} media files to {os.path.relpath(out)}")
