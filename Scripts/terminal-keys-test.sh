#!/usr/bin/env bash
# Terminal test of hidden key entry (Docs/keys.md), driven as a person would in tmux: `key add work`
# at the prompt, the key typed at the hidden prompt, then checks that the key never shows on the
# screen, that `key list` shows it masked, that a key typed on the command line is refused and kept
# out of the history, that Ctrl-C at the hidden prompt gives the terminal back with echo on, and
# that the history file and keys.json (0600 in a 0700 folder) hold what they should.
set -uo pipefail
cd "$(dirname "$0")/.."
source Scripts/lib/tmux.sh

bin="${COMFYSH_BINARY:-$PWD/.build/debug/comfysh}"
[ -x "$bin" ] || { echo "terminal-keys-test: $bin is missing; run swift build first" >&2; exit 1; }
work=$(mktemp -d)
export XDG_STATE_HOME=$work/state XDG_CONFIG_HOME=$work/config XDG_CACHE_HOME=$work/cache
trap 'tmux_kill_server; rm -rf "$work"' EXIT

# Distinctive keys: any 8 characters of them are easy to find on a screen or in a file.
key="comfyui-7e57ab1e$(printf 'f00d%.0s' {1..13})c0de"
key_fragment="f00df00d"
other="comfyui-0dd5ec2e$(printf 'beef%.0s' {1..13})5eed"
other_fragment="beefbeef"

never_shown() {  # never_shown NAME TEXT: TEXT is nowhere in the screen or its scrollback
  if tmux_history "$1" | grep -qF -- "$2"; then
    echo "never_shown: '$2' is on the screen of $1:" >&2
    tmux_history "$1" | sed 's/^/  | /' >&2
    return 1
  fi
}

error_without() {  # error_without NAME START TEXT: the line starting with START does not contain TEXT
  local line
  line=$(tmux_history "$1" | grep -F -- "$2" | tail -1)
  [ -n "$line" ] || { echo "error_without: no line with '$2'" >&2; return 1; }
  if [[ "$line" == *"$3"* ]]; then echo "error_without: '$3' is in: $line" >&2; return 1; fi
}

not_in_file() {  # not_in_file FILE TEXT
  if grep -qF -- "$2" "$1"; then
    echo "not_in_file: '$2' is in $1" >&2
    return 1
  fi
}

ready() {  # ready NAME: an empty prompt is up (typing earlier is echoed by the terminal first)
  at_cursor "$1" "comfy> " || { echo "ready: no empty prompt on $1" >&2; return 1; }
}

mode_is() { [ "$(stat -c %a "$1")" = "$2" ] || { echo "mode_is: $1 has mode $(stat -c %a "$1"), not $2" >&2; return 1; }; }

# comfysh without any key in its environment, in a clean config. An empty catalog keeps the
# start-up catalog warning from being drawn above the prompt while the test types.
echo '{}' > "$work/catalog.json"
tmux_start k1 "cd $work && env -u NO_COLOR -u COMFY_API_KEY -u COMFYSH_INSECURE_KEY TERM=xterm-256color $bin --no-init --catalog catalog.json"
check "prompt" tmux_wait_for k1 "comfy>"

# 1. `key add work` asks at a hidden prompt; what is typed never shows.
ready k1 || failures=$((failures + 1))
tmux_type k1 "key add work"; tmux_keys k1 Enter
check "hidden prompt" tmux_wait_for k1 "key for work (typing is hidden):"
tmux_type k1 "$key"
sleep 0.3
check "the key does not show while typed" never_shown k1 "$key_fragment"
tmux_keys k1 Enter
check "the key was added, masked" wait_line k1 'added key work \(comfyui-7e57…c0de\); `key use work` to use it'
check "the key did not show after Enter" never_shown k1 "$key_fragment"

# 2. `key list` shows it masked; `key use` selects it.
ready k1 || failures=$((failures + 1))
tmux_type k1 "key list"; tmux_keys k1 Enter
check "key list shows the key masked" wait_line k1 '  work  comfyui-7e57…c0de  store'
ready k1 || failures=$((failures + 1))
tmux_type k1 "key use w"; tmux_keys k1 Tab
check "Tab completes the key's name" at_cursor k1 "comfy> key use work "
tmux_keys k1 Enter
check "key use" wait_line k1 'using key work'
ready k1 || failures=$((failures + 1))
tmux_type k1 "key list"; tmux_keys k1 Enter
check "key list marks the key in use" wait_line k1 'in use: work'

# 3. A key typed on the command line is refused, masked in the error, and kept out of history.
ready k1 || failures=$((failures + 1))
tmux_type k1 "key add ci $other"; tmux_keys k1 Enter
check "a key on the command line is refused" tmux_wait_for k1 "a key is never typed on the command line"
check "the error does not quote the key" error_without k1 "error: a key is never typed" "$other_fragment"
tmux_keys k1 Up
check "Up skips the refused line" at_cursor k1 "comfy> key list"
tmux_keys k1 C-u

# 4. Ctrl-C at the hidden prompt cancels, and the terminal echoes again afterwards.
ready k1 || failures=$((failures + 1))
tmux_type k1 "key add ci"; tmux_keys k1 Enter
check "hidden prompt again" tmux_wait_for k1 "key for ci (typing is hidden):"
tmux_type k1 "comfyui-abandoned"; tmux_keys k1 C-c
check "Ctrl-C cancels" tmux_wait_for k1 "error: cancelled: no key was stored"
check "the abandoned key did not show" never_shown k1 "abandoned"
ready k1 || failures=$((failures + 1))
tmux_type k1 "echo echo-is-back"
check "typing shows again at the prompt" at_cursor k1 "comfy> echo echo-is-back"
tmux_keys k1 Enter
check "and the shell still runs commands" wait_line k1 "echo-is-back"

ready k1 || failures=$((failures + 1))
tmux_type k1 "quit"; tmux_keys k1 Enter
check "quit" tmux_wait_exit k1
check "the key never showed in the whole session" never_shown k1 "$key_fragment"

# 5. The files.
history="$work/state/comfysh/history"
store="$work/config/comfysh/keys.json"
check "history was written" test -s "$history"
check "history has the key commands" grep -qx "key add work" "$history"
check "history has key use" grep -qxE "key use work ?" "$history"
check "history has no key" not_in_file "$history" "$key_fragment"
check "history has not the refused line" not_in_file "$history" "$other_fragment"
check "history has not the abandoned key" not_in_file "$history" "abandoned"
check "keys.json is 0600" mode_is "$store" 600
check "its folder is 0700" mode_is "$work/config/comfysh" 700
check "keys.json holds the key" grep -qF "\"key\": \"$key\"" "$store"
check "keys.json holds nothing else" not_in_file "$store" "$other_fragment"

# 6. A new session reads it; a store others can read is refused with the fix.
chmod 644 "$store"
tmux_start k2 "cd $work && env -u COMFY_API_KEY TERM=xterm-256color $bin --no-init -c 'key use work'"
check "a readable store is refused" tmux_wait_joined k2 "fix it with: chmod 600 $store"
chmod 600 "$store"

tmux_report "terminal key tests"
