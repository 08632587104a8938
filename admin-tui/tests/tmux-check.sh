#!/usr/bin/env bash
# Scripted check of the admin console in a real terminal: starts `heepr serve` on a temp
# data dir, signs up two members, creates a staff token and two requests through the API,
# runs `heepr-admin` in tmux at 80x24, sends keys (search, open, start, approve erasure by
# typing the subject's id, help, Retention tab with a dry run, quit), captures the pane after each step and
# greps for the expected text. Finally asks the server whether the erasure happened.
#
# Usage: bash admin-tui/tests/tmux-check.sh        (from the repository root; needs tmux,
#        curl, python3). Prints each captured screen; exits non-zero on the first miss.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
cargo build -q -p heepr-core -p heepr-admin-tui
BIN="$ROOT/target/debug"
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
SOCK="heepr-admin-check-$$"
SESSION=console
SERVER_PID=""

cleanup() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN/heepr" serve --data-dir "$WORK" --policies "$ROOT/policies" --bind "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$BASE/healthz" >/dev/null || { echo "server did not start"; cat "$WORK/serve.log"; exit 1; }

signup() {
  curl -fs -X POST "$BASE/api/v1/accounts" -H 'content-type: application/json' \
    -d "{\"display_name\":\"$1\",\"email\":\"$2\",\"password\":\"correct horse battery\",\"age_16_or_over\":true,\"accept_terms\":true}"
}
ERIN_ID=$(signup "Erin Erase" erin.erase@example.com | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
signup "Alice Access" alice.access@example.com >/dev/null

TOKEN=$("$BIN/heepr" staff create --data-dir "$WORK" --policies "$ROOT/policies" \
  --email dpo@heepr.example --role privacy-officer | sed -n 's/^admin API token[^:]*: //p')
[ -n "$TOKEN" ] || { echo "no staff token"; exit 1; }
# The token goes into a 0600 config file, never onto a command line.
umask 077
printf 'url = "%s"\ntoken = "%s"\n' "$BASE" "$TOKEN" >"$WORK/admin.toml"

api_post() {
  curl -fs -X POST "$BASE/admin/api/v1$1" -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$2"
}
RID=$(api_post /requests '{"email":"erin.erase@example.com","kind":"erasure"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api_post /requests '{"email":"alice.access@example.com","kind":"access"}' >/dev/null

tmux -L "$SOCK" new-session -d -s "$SESSION" -x 80 -y 24 "$BIN/heepr-admin --config $WORK/admin.toml; echo CONSOLE-EXITED rc=\$?; sleep 30"

screen() { tmux -L "$SOCK" capture-pane -p -t "$SESSION"; }
keys() { tmux -L "$SOCK" send-keys -t "$SESSION" "$@"; }
type_text() { tmux -L "$SOCK" send-keys -t "$SESSION" -l "$1"; }
step=0
expect() {
  # expect TEXT...: waits (up to ~10 s) until every TEXT is on screen, then prints it.
  step=$((step + 1))
  for _ in $(seq 1 100); do
    local ok=1
    for t in "$@"; do screen | grep -qF -- "$t" || ok=0; done
    if [ $ok = 1 ]; then
      echo "--- step $step: found: $*"
      screen
      return 0
    fi
    sleep 0.1
  done
  echo "--- step $step: MISSING one of: $*"
  screen
  exit 1
}

expect "heepr-admin" "dpo@heepr.example (privacy officer)" "erin.erase@example.com" "alice.access@example" "recv 0  await 2"
if screen | grep -qF "$TOKEN"; then echo "TOKEN SHOWN ON SCREEN"; exit 1; fi
keys /; type_text "erin"; keys Enter
expect "search: erin" "erin.erase@example.com"
if screen | grep -qF "alice.access"; then echo "search did not filter"; exit 1; fi
keys Enter
expect "erasure request" "awaiting_verification" "subject erin.erase@example.com" "[E] approve erasure"
keys s; expect "Confirm: start"; keys Enter
expect "move to in_progress: accepted, request is now in_progress"
keys E; expect "Type the subject's id to confirm" "$ERIN_ID"
type_text "wrong-id"; keys Enter
expect "that is not the subject's id: nothing was sent"
for _ in $(seq 1 8); do keys BSpace; done
type_text "$ERIN_ID"; keys Enter
expect "approve erasure: accepted"
expect "completed" "subject erased"
keys '?'; expect "Keys (Esc or ? to close)" "approve erasure" "verify the chain"; keys Escape
# The server has the retention routes: the rules are listed, and a dry run of the email
# log (the seventh rule by name) answers with its counts.
keys 3; expect "Retention rules" "email_log" "12 months"
for _ in $(seq 1 6); do keys j; done
keys Enter; expect "dry run of email_log: 0 rows would be removed" "succeeded"
keys 5; expect "chain intact"
keys q; expect "CONSOLE-EXITED rc=0"
# The terminal is restored: the alternate screen is left (raw mode off shows as the echo above).
[ "$(tmux -L "$SOCK" display -p -t "$SESSION" '#{alternate_on}')" = 0 ] || { echo "alternate screen still on"; exit 1; }

# Ctrl-C quits from inside a dialog and restores the terminal too.
tmux -L "$SOCK" kill-session -t "$SESSION"
tmux -L "$SOCK" new-session -d -s "$SESSION" -x 80 -y 24 "$BIN/heepr-admin --config $WORK/admin.toml; echo CONSOLE-EXITED rc=\$?; sleep 30"
expect "alice.access@example"
[ "$(tmux -L "$SOCK" display -p -t "$SESSION" '#{alternate_on}')" = 1 ] || { echo "console not on the alternate screen"; exit 1; }
keys Enter; expect "access request"; keys R; expect "Confirm: reject"
keys C-c; expect "CONSOLE-EXITED rc=0"
[ "$(tmux -L "$SOCK" display -p -t "$SESSION" '#{alternate_on}')" = 0 ] || { echo "alternate screen still on after Ctrl-C"; exit 1; }

STATUS=$(curl -fs "$BASE/admin/api/v1/requests/$RID" -H "Authorization: Bearer $TOKEN" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["request"]["status"], d["subject"]["erased"], d["subject"]["email"])')
echo "server says: $STATUS"
case "$STATUS" in
  "completed True "*) ;;
  *) echo "erasure not done on the server"; exit 1 ;;
esac
case "$STATUS" in *erin.erase@example.com*) echo "email still there"; exit 1 ;; esac
echo "tmux check passed"
