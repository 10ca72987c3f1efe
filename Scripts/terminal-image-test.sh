#!/usr/bin/env bash
# Pictures drawn by a real terminal: Debian's xterm as a VT340 under Xvfb, screenshotted.
# 1. comfysh's sixel encoder alone (comfysh-media-demo): the picture's area must hold colour and
#    an area below it, where nothing is drawn, must not.
# 2. comfysh itself: a run on the built-in simulator, then `view`; comfysh finds sixel by asking
#    xterm (its environment names no protocol), and the picture must appear under the text.
# The screenshots are kept in .build/test-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in Xvfb xterm import convert; do
  if ! command -v "$tool" >/dev/null; then
    echo "skip: $tool is missing (Scripts/setup.sh installs xvfb, xterm and imagemagick)"
    exit 0
  fi
done
demo=.build/debug/comfysh-media-demo
comfysh=.build/debug/comfysh
[ -x "$demo" ] || swift build --product comfysh-media-demo
[ -x "$comfysh" ] || swift build --product comfysh
mkdir -p .build/test-output

blank_below() { # FILE GEOMETRY: the region must hold no colour
  local saturation
  saturation=$(convert "$1" -crop "$2" +repage -colorspace HSL -channel G -separate -format '%[fx:mean]' info:)
  if awk -v s="$saturation" 'BEGIN { exit !(s < 0.02) }'; then
    echo "terminal-image-test: region $2 of $1 is blank (saturation $saturation): ok"
  else
    echo "terminal-image-test: colour where nothing was drawn in $1, region $2 (saturation $saturation)" >&2
    exit 1
  fi
}

shot=.build/test-output/xterm-sixel.png
# 40 × 12 cells of xterm's default 6 × 13 font: the picture covers about 240 × 150 pixels at the top left.
CHECK_REGION=200x120+20+10 Scripts/terminal-screenshot.sh "$shot" "$demo" --protocol sixel --columns 40 --rows 12 --cell 6x13
blank_below "$shot" 300x100+20+250

# The run: a 240 × 150 red picture, inverted to cyan by the simulator's ImageInvert and saved. The
# text above it is 12 lines of 13 pixels (the commands' output), so the picture starts near y = 156.
view_shot=.build/test-output/xterm-view.png
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
script="new; add EmptyImage as 1 width=240 height=150 color=16711680; add ImageInvert as 2; link 2.image 1:0; add SaveImage as 3 filename_prefix=xterm; link 3.images 2:0; run; watch; view"
XDG_CONFIG_HOME=$work XDG_CACHE_HOME=$work XDG_STATE_HOME=$work \
  CHECK_REGION=200x100+20+160 Scripts/terminal-screenshot.sh "$view_shot" "$comfysh" --no-init --sim -c "$script"
blank_below "$view_shot" 300x50+20+335
echo "terminal-image-test: passed; screenshots in $shot and $view_shot"
