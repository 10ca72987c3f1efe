#!/usr/bin/env bash
# Terminal tests of the built comfysh, driven as a person would: tmux runs the binary, send-keys
# types, Tab completes, capture-pane reads the screen. Run by Scripts/test.sh after `swift build`.
set -uo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/tmux.sh

bin="${COMFYSH_BINARY:-$PWD/.build/debug/comfysh}"
[ -x "$bin" ] || { echo "terminal-test: $bin is missing; run swift build first" >&2; exit 1; }
work=$(mktemp -d)
export XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache
cp Docs/examples/txt2img.json "$work/flow.json"
trap 'tmux_kill_server; rm -rf "$work"' EXIT

start_sim() {  # start_sim SESSION ARGS...: `comfysh sim --port 0 ARGS` in tmux; prints its URL
  local name="$1"
  shift
  tmux_start "$name" "$bin sim --port 0 $*"
  tmux_wait_for "$name" "simulator at http" >&2 || return 1
  tmux_screen "$name" | grep -oE 'http://127\.0\.0\.1:[0-9]+' | head -1
}

start() {  # start SESSION ARGS...: comfysh in $work with a clean environment
  local name="$1"
  shift
  tmux_start "$name" "cd $work && env -u NO_COLOR TERM=xterm-256color $bin --no-init $*"
  tmux_wait_for "$name" "comfy"
}

# 1. Typing a command, Tab completion of a command, a node id and an input name. The session has
# a catalog for certain (the built-in simulator's), which Tab waits for, so nothing depends on
# whether some server answers on the default port or on how fast the catalog is read.
start t1 --sim flow.json
check "banner and prompt" tmux_wait_for t1 "comfy flow.json>"
tmux_type t1 "sh"; tmux_keys t1 Tab
check "Tab completes a command" at_cursor t1 "comfy flow.json> show "
tmux_type t1 "@Pos"; tmux_keys t1 Tab; tmux_keys t1 Enter
check "Tab completes an @title" tmux_wait_for t1 'used by: 3.positive'
tmux_type t1 "set 3.st"; tmux_keys t1 Tab
check "Tab completes an input name" at_cursor t1 "comfy flow.json> set 3.steps "
tmux_type t1 "12"; tmux_keys t1 Enter
check "set marks the workflow dirty" at_cursor t1 "comfy flow.json*> "
tmux_type t1 "get 3"; tmux_keys t1 Tab
check "Tab completes a node id with its dot" at_cursor t1 "comfy flow.json*> get 3."
tmux_type t1 "ste"; tmux_keys t1 Tab; tmux_keys t1 Enter
check "get prints the value" wait_line t1 "12"
tmux_type t1 "link 8.samples "; tmux_keys t1 Tab
check "Tab lists node ids for an output" tmux_wait_for t1 "3:"
tmux_keys t1 C-u
tmux_type t1 "link 8.samples 3:L"; tmux_keys t1 Tab
check "Tab completes an output slot" at_cursor t1 "comfy flow.json*> link 8.samples 3:LATENT "
tmux_keys t1 C-u

# 2. Up recalls history; Ctrl-C mid-line cancels the line and keeps the shell.
tmux_keys t1 Up
check "Up recalls the last command" at_cursor t1 "comfy flow.json*> get 3.steps"
tmux_keys t1 C-u
tmux_type t1 "set 3.seed 99"; tmux_keys t1 C-c
check "Ctrl-C cancels the half-typed line" tmux_wait_for t1 "set 3.seed 99^C"
tmux_type t1 "get 3.seed"; tmux_keys t1 Enter
check "the cancelled line did not run" wait_line t1 "156680208700286"
check "the shell is still running" tmux_alive t1

# 3. Ctrl-R searches history.
tmux_keys t1 C-r; tmux_type t1 "ste"
check "Ctrl-R finds a command" tmux_wait_for t1 "get 3.steps"
tmux_keys t1 C-g; tmux_keys t1 C-u

# 4. Ctrl-D with unsaved edits asks first; "n" keeps the shell, then "y" quits.
tmux_keys t1 C-d
check "Ctrl-D asks about unsaved edits" tmux_wait_for t1 "quit without saving 1 unsaved edit to flow.json? [y/N]"
tmux_type t1 "n"; tmux_keys t1 Enter
check "answering no keeps the shell" at_cursor t1 "comfy flow.json*> "
tmux_type t1 "undo"; tmux_keys t1 Enter
check "undo clears the dirty mark" at_cursor t1 "comfy flow.json> "
tmux_keys t1 C-d
check "Ctrl-D on a clean workflow exits" tmux_wait_exit t1
check "history was written" test -s "$work/state/comfysh/history"
check "history is private" test "$(stat -c %a "$work/state/comfysh/history")" = 600

# 5. History survives a restart; UTF-8 typing works with LANG unset.
tmux_start t2 "cd $work && env -u LANG -u LC_ALL -u LC_CTYPE TERM=xterm-256color $bin --no-init flow.json"
tmux_wait_for t2 "comfy"
tmux_keys t2 Up
check "history from the last session" tmux_wait_for t2 "comfy flow.json> undo"
tmux_keys t2 C-u
tmux_type t2 'echo "lighthouse 灯台 éà"'; tmux_keys t2 Enter
check "UTF-8 input without a locale" wait_line t2 "lighthouse 灯台 éà"
tmux_type t2 'set @Positive.text "灯台"'; tmux_keys t2 Enter
tmux_type t2 "get 6.text"; tmux_keys t2 Enter
check "UTF-8 values round-trip" wait_line t2 '"灯台"'

# 6. A multi-line block with a continuation prompt.
tmux_type t2 "for s in 1 2 {"; tmux_keys t2 Enter
check "continuation prompt" tmux_wait_for t2 "...>"
tmux_type t2 "echo seed \$s"; tmux_keys t2 Enter
tmux_type t2 "}"; tmux_keys t2 Enter
check "the block ran" wait_line t2 "seed 2"
tmux_type t2 "quit -f"; tmux_keys t2 Enter
check "quit -f exits" tmux_wait_exit t2

# 7. `watch --background`: progress lines come above the prompt while a half-typed command that wraps
#    (60 columns) stays intact, on screen and in the line buffer.
url=$(start_sim sim --step-delay 150 --data "$work/sim")
check "the simulator starts" test -n "$url"
tmux_start t3 "cd $work && env -u NO_COLOR TERM=xterm-256color $bin --no-init --server $url flow.json" 60 20
tmux_wait_for t3 "comfy flow.json>"
tmux_type t3 "set 3.seed 7; run; watch --background"; tmux_keys t3 Enter
check "watch --background gives the prompt back" tmux_wait_joined t3 "in the background: its lines appear above the prompt"
half='set 6.text "a lighthouse on a cliff at dusk, film grain, volumetric light'
tmux_type t3 "$half"
check "a progress line appears above the prompt" tmux_wait_for t3 "KSampler  ████"
check "the run's end appears above the prompt" tmux_wait_for t3 "] done in" 20
typed_line() {  # the last line on screen, wrapped rows joined, is the prompt with the half-typed command
  local last
  last=$(tmux_last_line t3)
  [ "$last" = "comfy flow.json*> $half" ] || { echo "typed_line: last line is '$last'" >&2; return 1; }
}
check "the half-typed command is intact and still last" typed_line
tagged_lines() {  # every notice is a whole line of its own, tagged with the prompt's id
  local count
  count=$(tmux_history t3 | grep -cE '^\[[0-9a-f]{8}\] ')
  ((count >= 5)) || { echo "tagged_lines: $count tagged lines" >&2; tmux_history t3 | sed 's/^/  | /' >&2; return 1; }
}
check "progress lines are whole lines, tagged with the prompt id" tagged_lines
tmux_type t3 '"'; tmux_keys t3 Enter
tmux_type t3 "get 6.text"; tmux_keys t3 Enter
value_after_get() {  # the line after `get 6.text` is the value typed around the notices
  tmux_wait_joined t3 '"a lighthouse on a cliff at dusk, film grain, volumetric light"' || return 1
  local after
  after=$(tmux_history t3 | grep -A1 -F -- '> get 6.text' | tail -1)
  [ "$after" = '"a lighthouse on a cliff at dusk, film grain, volumetric light"' ] ||
    { echo "value_after_get: '$after'" >&2; return 1; }
}
check "finishing the typed command sets what was typed" value_after_get
tmux_type t3 "quit -f"; tmux_keys t3 Enter
check "quit -f exits while connected" tmux_wait_exit t3
tmux_kill sim

# 8. Record a session typed at the terminal, then replay it against a fresh simulator (new prompt
#    ids): the same workflow file and the same outputs; a changed output fails --check with a diff;
#    --update accepts it.
url2=$(start_sim sim2 --data "$work/sim2")
check "a fresh simulator starts" test -n "$url2"
rec=$work/rec
mkdir -p "$rec"
cp Docs/examples/txt2img.json "$rec/flow.json"
tmux_start t4 "cd $rec && env TERM=xterm-256color $bin --no-init --server $url2 --record session.comfy" 100 30
tmux_wait_for t4 "comfy>"
at_prompt() {  # the last line is a bare prompt again: the command finished
  local deadline=$((SECONDS + TMUX_TEST_TIMEOUT))
  while ((SECONDS <= deadline)); do
    tmux_last_line t4 | grep -qE '^comfy( [^ ]+)?\*?> ?$' && return 0
    sleep 0.1
  done
  echo "at_prompt: no prompt after the command; t4 shows:" >&2
  tmux_history t4 | tail -15 | sed 's/^/  | /' >&2
  return 1
}
recorded_commands=("load flow.json" "set 3.seed 11" "set 3.steps 4" 'set @Positive.text "a lighthouse, recorded"'
  "get 3.steps" "nodes" "run" "watch" "outputs" "save -f edited.json" "record stop")
typed_all=0
for command in "${recorded_commands[@]}"; do
  tmux_type t4 "$command"; tmux_keys t4 Enter
  at_prompt || typed_all=1
done
check "every typed command finished" test "$typed_all" = 0
tmux_type t4 "quit"; tmux_keys t4 Enter
check "the recording session exits" tmux_wait_exit t4
check "the recording holds each command and its output" \
  test "$(grep -cvE '^(#|$)' "$rec/session.comfy")" = 10 -a "$(grep -c '^#> queued ' "$rec/session.comfy")" = 1
mv "$rec/edited.json" "$rec/typed.json"
replay() {  # replay ARGS...: comfysh --sim ARGS in the recording's folder; shows its output if it fails
  (cd "$rec" && "$bin" --no-init --sim "$@") >"$work/replay.out" 2>&1 || {
    local status=$?
    sed 's/^/  | /' "$work/replay.out" >&2
    return $status
  }
}
check "--check replays the typed session against a fresh simulator" replay --check session.comfy
check "--check says all outputs match" grep -qxE "session.comfy: [0-9]+ commands, all outputs match" "$work/replay.out"
check "the replay saved the same workflow JSON" cmp "$rec/typed.json" "$rec/edited.json"
check "the replay wrote the same output file" test -s "$rec/session.comfy" -a \
  "$(grep -c 'output/lighthouse_00001_.png' "$rec/session.comfy")" -ge 2
sed 's/^set 3.steps 4$/set 3.steps 5/' "$rec/session.comfy" >"$rec/changed.comfy"
replay_fails() { ! replay "$@" 2>/dev/null; }
check "a changed output fails --check" replay_fails --check changed.comfy
diff_shown() {
  grep -qxE -- "--- changed.comfy:[0-9]+ get 3.steps \(recorded\)" "$work/replay.out" &&
    grep -qx -- "-4" "$work/replay.out" && grep -qx -- "+5" "$work/replay.out" ||
    { sed 's/^/  | /' "$work/replay.out" >&2; return 1; }
}
check "--check prints a unified diff of the output that changed" diff_shown
check "--update rewrites the outputs" replay --update changed.comfy
check "after --update, --check passes" replay --check changed.comfy
check "--update changed only that output" test "$(diff "$rec/session.comfy" "$rec/changed.comfy" | grep -c '^>')" = 2
tmux_kill sim2

# 9. Pictures inside tmux reach the terminal outside only through passthrough: comfysh asks the tmux
# it runs in (the pane's $TMUX) whether allow-passthrough is on, and falls back to half blocks if not.
pictures_in_tmux() {  # pictures_in_tmux SESSION: `images` inside tmux, the outer terminal a kitty
  tmux_start "$1" "cd $work && env KITTY_WINDOW_ID=1 TERM=screen-256color $bin --no-init -c images; sleep 30" 400 10
}
_tmux set-option -g allow-passthrough on
pictures_in_tmux p1
check "inside tmux with allow-passthrough on, pictures go through it" \
  tmux_wait_for p1 "KITTY_WINDOW_ID, through tmux passthrough"
_tmux set-option -g allow-passthrough off
pictures_in_tmux p2
check "inside tmux with allow-passthrough off, half blocks instead" \
  tmux_wait_for p2 "inside tmux without allow-passthrough"
tmux_kill p1
tmux_kill p2

# 10. At the prompt, `view` draws the last prompt's picture under its line; tmux itself draws half
# blocks, so they are on its screen.
start v1 --sim
tmux_type v1 "new; add EmptyImage as 1 width=32 height=16 color=255; add SaveImage as 2; link 2.images 1:0"
tmux_keys v1 Enter
tmux_type v1 "run; watch; images blocks; view"
tmux_keys v1 Enter
check "view names the file at the prompt" tmux_wait_for v1 "2  Save Image (SaveImage)  output/ComfyUI_00001_.png  32×16 PNG"
check "view draws it in half blocks under the line" tmux_wait_for v1 "▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀▀"
check "the prompt comes back under the picture" at_cursor v1 "comfy untitled*> "
tmux_kill v1

tmux_report "terminal tests"
