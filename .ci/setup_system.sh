#!/usr/bin/env bash
# Install the system packages the two commands need, before anything long runs:
#   npm             vendors MathJax (and the widget manager) from the npm registry   (make book, make test)
#   fonts-noto-cjk  draws the Chinese terms in figures and on the Chinese pages     (make book, make test)
#   chromium        the browser test of the built site                              (make test)
# Usage: .ci/setup_system.sh npm fonts-noto-cjk [chromium]
# As root it uses apt-get; otherwise sudo (without asking for a password). If neither
# works it stops at once and prints the exact command to run.
set -euo pipefail

have() {
  case "$1" in
    npm) command -v npm >/dev/null 2>&1 ;;
    chromium) { [ -n "${BOOK_CHROMIUM:-}" ] && [ -x "$BOOK_CHROMIUM" ]; } || command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] ;;
    fonts-noto-cjk)
      if command -v fc-list >/dev/null 2>&1; then fc-list : family 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null
      else [ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto 2>/dev/null | grep -qi cjk; fi ;;
    *) echo "setup_system.sh: unknown requirement $1" >&2; return 2 ;;
  esac
}

missing=()
for need in "$@"; do have "$need" || missing+=("$need"); done
[ ${#missing[@]} -eq 0 ] && exit 0

command="apt-get update && apt-get install -y ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing: ${missing[*]}. This machine has no apt-get; install them with your package manager" >&2
  echo "(macOS: brew install node chromium font-noto-sans-cjk), then run make again." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo -n)
else
  echo "Missing: ${missing[*]}. Install them as root, then run make again:" >&2
  echo "    sudo sh -c '$command'" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
if ! { "${run[@]}" apt-get update -qq && "${run[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
  echo "Installing ${missing[*]} failed. Run this yourself, then make again:" >&2
  echo "    sudo sh -c '$command'" >&2
  exit 1
fi
for need in "${missing[@]}"; do
  have "$need" || { echo "$need still missing after apt-get install; run: sudo sh -c '$command'" >&2; exit 1; }
done
echo "installed ${missing[*]} in $(( $(date +%s) - start )) s"
