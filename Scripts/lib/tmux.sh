# Helpers for terminal tests in tmux. Source this file, then e.g.:
#
#   tmux_start t1 "./comfysh --sim"           # detached 80x24 pane running the command
#   tmux_wait_for t1 "comfy> "               # poll the screen until the text shows (or fail)
#   tmux_type t1 "set 11.pr"; tmux_keys t1 Tab
#   tmux_assert_contains t1 "11.prompt"
#   tmux_kill t1
#
# Every function returns non-zero on failure and prints the screen, so a test can `|| fail`.
# Note: capture-pane drops trailing spaces, so wait for "comfy>" rather than "comfy> ".
# All sessions live on a private tmux server (socket $TMUX_TEST_SOCKET) with no user config,
# so tests neither see nor disturb anyone's own tmux.

TMUX_TEST_SOCKET="${TMUX_TEST_SOCKET:-comfysh-test-$$}"
TMUX_TEST_TIMEOUT="${TMUX_TEST_TIMEOUT:-10}"

_tmux() { tmux -L "$TMUX_TEST_SOCKET" -f /dev/null "$@"; }

# tmux_start NAME COMMAND [WIDTH] [HEIGHT]: runs COMMAND (a shell string) in a new detached
# session. The pane stays after the command exits, so its last screen can still be checked: the
# options are set in the same tmux call, before the session starts, so even a command that ends at
# once leaves its screen. The server is kept when its last session ends (exit-empty off;
# tmux_kill_server ends it), so a session started right after another was killed does not race it.
tmux_start() {
  local name="$1" command="$2" width="${3:-80}" height="${4:-24}"
  local start=(start-server \; set-option -s exit-empty off \; set-window-option -g remain-on-exit on \;
    new-session -d -s "$name" -x "$width" -y "$height" "$command")
  _tmux "${start[@]}" 2>/dev/null && return 0
  sleep 0.5
  _tmux "${start[@]}"
}

# tmux_last_line NAME: the last non-empty line, wrapped rows joined (the prompt and what is typed there).
tmux_last_line() {
  tmux_history "$1" | grep -v '^$' | tail -1
}

# tmux_keys NAME KEY...: sends keys by tmux name (Enter, Tab, Up, C-c, C-d, C-r, BSpace, Left...).
tmux_keys() {
  local name="$1"
  shift
  _tmux send-keys -t "$name" "$@"
}

# tmux_type NAME TEXT: types TEXT literally (no key names), e.g. UTF-8 text.
tmux_type() {
  _tmux send-keys -t "$1" -l -- "$2"
}

# tmux_screen NAME: prints the visible screen.
tmux_screen() {
  _tmux capture-pane -p -t "$1"
}

# tmux_history NAME: prints the scrollback and the screen, wrapped rows joined (for checks after
# much output, or after the command exited: tmux may scroll the last screen then).
tmux_history() {
  _tmux capture-pane -p -J -S - -t "$1"
}

# tmux_wait_for NAME TEXT [TIMEOUT]: waits until the screen contains TEXT (fixed string).
tmux_wait_for() {
  _tmux_wait tmux_screen tmux_wait_for "$1" "$2" "${3:-$TMUX_TEST_TIMEOUT}"
}

# tmux_wait_joined NAME TEXT [TIMEOUT]: waits until TEXT shows in the scrollback or on the screen,
# wrapped rows joined (for lines longer than the pane is wide).
tmux_wait_joined() {
  _tmux_wait tmux_history tmux_wait_joined "$1" "$2" "${3:-$TMUX_TEST_TIMEOUT}"
}

# _tmux_wait CAPTURE CALLER NAME TEXT TIMEOUT: waits until what CAPTURE prints of NAME contains TEXT.
_tmux_wait() {
  local capture="$1" caller="$2" name="$3" text="$4" timeout="$5"
  local deadline=$((SECONDS + timeout))
  while ((SECONDS <= deadline)); do
    if "$capture" "$name" | grep -qF -- "$text"; then return 0; fi
    sleep 0.1
  done
  echo "$caller: '$text' did not appear within ${timeout}s; $name shows:" >&2
  "$capture" "$name" | sed 's/^/  | /' >&2
  return 1
}

# tmux_wait_gone NAME TEXT [TIMEOUT]: waits until the screen no longer contains TEXT.
tmux_wait_gone() {
  local name="$1" text="$2" timeout="${3:-$TMUX_TEST_TIMEOUT}"
  local deadline=$((SECONDS + timeout))
  while ((SECONDS <= deadline)); do
    if ! tmux_screen "$name" | grep -qF -- "$text"; then return 0; fi
    sleep 0.1
  done
  echo "tmux_wait_gone: '$text' still on screen after ${timeout}s; screen of $name:" >&2
  tmux_screen "$name" | sed 's/^/  | /' >&2
  return 1
}

# tmux_assert_contains NAME TEXT: the screen contains TEXT now.
tmux_assert_contains() {
  if tmux_screen "$1" | grep -qF -- "$2"; then return 0; fi
  echo "tmux_assert_contains: '$2' not on screen of $1:" >&2
  tmux_screen "$1" | sed 's/^/  | /' >&2
  return 1
}

# tmux_assert_not_contains NAME TEXT: the screen does not contain TEXT now.
tmux_assert_not_contains() {
  if ! tmux_screen "$1" | grep -qF -- "$2"; then return 0; fi
  echo "tmux_assert_not_contains: '$2' is on screen of $1:" >&2
  tmux_screen "$1" | sed 's/^/  | /' >&2
  return 1
}

# tmux_assert_line NAME REGEX: some screen line matches the extended REGEX completely.
tmux_assert_line() {
  if tmux_screen "$1" | grep -qE -- "^($2)\$"; then return 0; fi
  echo "tmux_assert_line: no line matching /^($2)\$/ on screen of $1:" >&2
  tmux_screen "$1" | sed 's/^/  | /' >&2
  return 1
}

# tmux_cursor NAME: prints "X Y" (column and row of the cursor, from 0).
tmux_cursor() {
  _tmux display-message -p -t "$1" '#{cursor_x} #{cursor_y}'
}

# tmux_alive NAME: succeeds while the pane's command is still running.
tmux_alive() {
  [ "$(_tmux display-message -p -t "$1" '#{pane_dead}' 2>/dev/null)" = "0" ]
}

# tmux_wait_exit NAME [TIMEOUT]: waits until the pane's command has exited.
tmux_wait_exit() {
  local name="$1" timeout="${2:-$TMUX_TEST_TIMEOUT}"
  local deadline=$((SECONDS + timeout))
  while ((SECONDS <= deadline)); do
    if ! tmux_alive "$name"; then return 0; fi
    sleep 0.1
  done
  echo "tmux_wait_exit: $name still running after ${timeout}s" >&2
  return 1
}

# tmux_exit_status NAME: prints the exit status of the pane's (exited) command, or "signal N".
# tmux may mark a pane dead (its terminal closed) a moment before it has the status: wait.
tmux_exit_status() {
  local status signal tries=0
  while ((tries < 30)); do
    status=$(_tmux display-message -p -t "$1" '#{pane_dead_status}' 2>/dev/null)
    signal=$(_tmux display-message -p -t "$1" '#{pane_dead_signal}' 2>/dev/null)
    if [ -n "$status" ]; then echo "$status"; return 0; fi
    if [ -n "$signal" ]; then echo "signal $signal"; return 0; fi
    sleep 0.1
    tries=$((tries + 1))
  done
  echo "unknown"
}

# tmux_kill NAME: ends the session (and with the last one, the private server).
tmux_kill() {
  _tmux kill-session -t "$1" 2>/dev/null || true
}

# tmux_kill_server: ends the private server and all its sessions (use in a trap).
tmux_kill_server() {
  _tmux kill-server 2>/dev/null || true
}

# A test script's steps: `check NAME COMMAND...` runs one, prints ok/FAIL and counts failures in
# $failures; `tmux_report TITLE` prints the summary and exits 1 if any failed.
failures=0
check() {
  local name="$1"
  shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}

tmux_report() {
  echo
  if ((failures)); then
    echo "$1: $failures failed"
    exit 1
  fi
  echo "$1: all passed"
}

# wait_line NAME REGEX: waits until a screen line matches the extended REGEX completely.
wait_line() {
  local deadline=$((SECONDS + TMUX_TEST_TIMEOUT))
  while ((SECONDS <= deadline)); do
    tmux_screen "$1" | grep -qE -- "^($2)\$" && return 0
    sleep 0.1
  done
  echo "wait_line: no line matching /^($2)\$/ on screen of $1:" >&2
  tmux_screen "$1" | sed 's/^/  | /' >&2
  return 1
}

# at_cursor NAME TEXT: waits until the cursor's row reads TEXT (trailing spaces included) up to the cursor.
at_cursor() {
  local deadline=$((SECONDS + TMUX_TEST_TIMEOUT)) x y row
  while ((SECONDS <= deadline)); do
    read -r x y < <(tmux_cursor "$1")
    row=$(tmux_screen "$1" | sed -n "$((y + 1))p")
    row="$row$(printf '%*s' 200 '')"
    [ "${row:0:$x}" = "$2" ] && return 0
    sleep 0.1
  done
  echo "at_cursor: expected '$2' before the cursor, row $y reads '${row:0:$x}' (cursor at $x)" >&2
  return 1
}
