#!/usr/bin/env bash
# A sixel picture written by comfysh's encoder, drawn by a real xterm (VT340) under Xvfb: the
# screenshot is kept in .build/test-output/ and the area where the picture goes must hold colour,
# while an area below it, where nothing is drawn, must not.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in Xvfb xterm import convert; do
  if ! command -v "$tool" >/dev/null; then
    echo "skip: $tool is missing (Scripts/setup.sh installs xvfb, xterm and imagemagick)"
    exit 0
  fi
done
demo=.build/debug/comfysh-media-demo
[ -x "$demo" ] || swift build --product comfysh-media-demo
mkdir -p .build/test-output
shot=.build/test-output/xterm-sixel.png
# 40 × 12 cells of xterm's default 6 × 13 font: the picture covers about 240 × 150 pixels at the top left.
CHECK_REGION=200x120+20+10 Scripts/terminal-screenshot.sh "$shot" "$demo" --protocol sixel --columns 40 --rows 12 --cell 6x13
saturation=$(convert "$shot" -crop 300x100+20+400 +repage -colorspace HSL -channel G -separate -format '%[fx:mean]' info:)
if awk -v s="$saturation" 'BEGIN { exit !(s < 0.02) }'; then
  echo "terminal-image-test: below the picture the screen is blank (saturation $saturation): ok"
else
  echo "terminal-image-test: colour where nothing was drawn (saturation $saturation)" >&2
  exit 1
fi
echo "terminal-image-test: passed; screenshot in $shot"
