#!/usr/bin/env bash
# Sessions as pages (issue 14): renders Docs/tutorial.comfy to one HTML file with `--sim --replay`
# (its prompt ids came from an earlier simulator, so its pictures are made again), checks the file
# holds its pictures and points at nothing outside itself, opens it in headless Chromium that resolves
# no host, screenshots it around its first picture (.build/test-output/tutorial-render.png) and
# checks with ImageMagick that the picture is on the screenshot: the tutorial's red 64×64 image,
# inverted, is cyan. The whole page's screenshot is kept beside it (tutorial-render-full.png). A missing tool is a skip here and a failure under COMFYSH_STRICT=1 (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
strict=${COMFYSH_STRICT:-0}
bin="${COMFYSH_BINARY:-$PWD/.build/debug/comfysh}"
shot_folder=.build/test-output
shot=$shot_folder/tutorial-render.png
chromium=${CHROMIUM:-chromium-headless-shell}

have_tools() { command -v "$chromium" >/dev/null && command -v convert >/dev/null; }
if ! have_tools; then
  if [ "$strict" = 1 ]; then
    echo "check-render: error: $chromium and ImageMagick's convert are needed (Scripts/setup.sh installs them)" >&2
    exit 1
  fi
  echo "skip: check-render needs $chromium and ImageMagick's convert (Scripts/setup.sh installs them)"
  exit 0
fi
[ -x "$bin" ] || swift build --product comfysh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache
page=$work/tutorial.html

"$bin" render Docs/tutorial.comfy --sim --replay -o "$page"
fail() {
  echo "check-render: $*" >&2
  exit 1
}
pictures=$(grep -o 'src="data:image/png;base64,' "$page" | wc -l)
[ "$pictures" -ge 2 ] || fail "the page holds $pictures PNG pictures, expected the tutorial's 2"
if grep -Eq '<script|(src|href)="(https?:|//|file:)' "$page"; then fail "the page loads something from outside itself"; fi
grep -q '<h1>ComfyUI&#39;s API format, as a comfysh transcript</h1>' "$page" || fail "the page has not the tutorial's title"

mkdir -p "$shot_folder"
full=$shot_folder/tutorial-render-full.png
rm -f "$shot" "$full"
# The whole page in one tall window (ImageMagick reads at most 16000 pixels a side); Debian's wrapper
# script starts helpers of its own, so the browser runs in a process group of its own, ended as a whole.
setsid "$chromium" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
  --user-data-dir="$work/chromium" --host-resolver-rules='MAP * ~NOTFOUND' \
  --window-size=1000,15000 --screenshot="$PWD/$full" "file://$page" >"$work/chromium.log" 2>&1 &
browser=$!
for _ in $(seq 1 600); do
  kill -0 "$browser" 2>/dev/null || break
  sleep 0.1
done
kill -- -"$browser" 2>/dev/null || true
wait "$browser" 2>/dev/null || true
[ -s "$full" ] || {
  cat "$work/chromium.log" >&2
  fail "headless Chromium wrote no screenshot"
}

# Where the tutorial's cyan (#00FFFF, give or take) is: the first picture, inverted red, shown at least
# 192 pixels wide. The screenshot kept is a window's worth of the page around it.
cyan_mask() { convert "$1" -alpha off -fuzz 12% -fill black +opaque '#00FFFF' -fill white -opaque '#00FFFF' "$2"; }
cyan_mask "$full" "$work/mask.png"
read -r box_w box_h box_x box_y < <(convert "$work/mask.png" -format '%@\n' info: | tr 'x+' '  ') || true
[ "${box_w:-0}" -ge 150 ] || fail "no picture of the tutorial's colour is on the page's screenshot ($full)"
top=$((box_y > 200 ? box_y - 200 : 0))
convert "$full" -crop "1000x800+0+$top" +repage "$shot"
cyan_mask "$shot" "$work/shot-mask.png"
pixels=$(convert "$work/shot-mask.png" -format '%[fx:round(mean*w*h)]' info:)
echo "check-render: $shot: the first picture is at y=$box_y of the page; $pixels of its pixels are on the screenshot"
[ "$pixels" -ge $((192 * 192 * 9 / 10)) ] || fail "the first picture is not whole on the screenshot ($shot)"
echo "check-render: Docs/tutorial.comfy renders to one page with its pictures"
