#!/usr/bin/env bash
# Runs a command in a real terminal emulator that draws sixel (Debian's xterm as a VT340, 256
# colour registers) under Xvfb, and saves a screenshot of the screen once the command is done.
#
#   Scripts/terminal-screenshot.sh OUT.png COMMAND [ARG...]
#
# Environment: GEOMETRY (xterm's, default 100x30), CHECK_REGION (ImageMagick geometry WxH+X+Y):
# when set, the screenshot is retaken until that region holds colour (mean HSL saturation above
# CHECK_SATURATION, default 0.25) and the script fails if it never does: a blank terminal is
# black text on white, saturation 0. The screenshot is kept either way.
set -euo pipefail
out=$1
shift
for tool in Xvfb xterm import convert; do
  command -v "$tool" >/dev/null || { echo "terminal-screenshot: $tool is missing (Scripts/setup.sh installs it)" >&2; exit 3; }
done
work=$(mktemp -d)
xvfb_pid=
xterm_pid=
cleanup() {
  [ -n "$xterm_pid" ] && kill "$xterm_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A free display number: the first whose lock file does not exist.
display=99
while [ -e "/tmp/.X$display-lock" ] || [ -e "/tmp/.X11-unix/X$display" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1024x768x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
export DISPLAY=":$display"
deadline=$((SECONDS + 30))
until xdpyinfo >/dev/null 2>&1 || import -window root "$work/probe.png" >/dev/null 2>&1; do
  [ $SECONDS -lt $deadline ] || { echo "terminal-screenshot: Xvfb did not start" >&2; cat "$work/xvfb.log" >&2; exit 1; }
  sleep 0.1
done

printf '%q ' "$@" >"$work/command"
xterm -ti vt340 -xrm 'XTerm*decTerminalID: vt340' -xrm 'XTerm*numColorRegisters: 256' \
  -xrm 'XTerm*sixelScrolling: true' -geometry "${GEOMETRY:-100x30}+0+0" -bg white -fg black \
  -e sh -c "$(cat "$work/command"); echo \$? > '$work/status'; exec sleep 600" &
xterm_pid=$!

deadline=$((SECONDS + 60))
until [ -s "$work/status" ]; do
  [ $SECONDS -lt $deadline ] || { echo "terminal-screenshot: the command did not finish within 60 s" >&2; exit 1; }
  kill -0 "$xterm_pid" 2>/dev/null || { echo "terminal-screenshot: xterm exited" >&2; exit 1; }
  sleep 0.1
done
status=$(cat "$work/status")

# xterm draws after the bytes arrive; take shots until the region shows the picture.
deadline=$((SECONDS + 20))
while true; do
  import -window root "$out"
  if [ -z "${CHECK_REGION:-}" ]; then break; fi
  saturation=$(convert "$out" -crop "$CHECK_REGION" +repage -colorspace HSL -channel G -separate -format '%[fx:mean]' info:)
  if awk -v s="$saturation" -v t="${CHECK_SATURATION:-0.25}" 'BEGIN { exit !(s > t) }'; then
    echo "terminal-screenshot: region $CHECK_REGION holds colour (mean saturation $saturation) in $out"
    break
  fi
  if [ $SECONDS -ge $deadline ]; then
    echo "terminal-screenshot: region $CHECK_REGION of $out is blank (mean saturation $saturation)" >&2
    exit 1
  fi
  sleep 0.2
done
[ "$status" = 0 ] || { echo "terminal-screenshot: the command exited with status $status" >&2; exit 1; }
