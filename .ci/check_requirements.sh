#!/usr/bin/env bash
# Resolve requirements.txt for each platform and Python version readers use, with
# wheels only, and report torch/numpy and any platform-only package that slipped in.
# Uses uv's resolver (pip's --platform does not change environment markers, so pip
# resolves Linux-only CUDA dependencies even for macOS). Needs the package index only.
#   .ci/check_requirements.sh            (make check-requirements)
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${TMPDIR:-/tmp}/deconv-book-uv
[ -x "$tools/bin/uv" ] || { python3 -m venv "$tools" && "$tools/bin/pip" install -q uv 2>&1 | grep -v "is ignored" || true; }
fail=0
for py in 3.10 3.11 3.12; do
  for plat in x86_64-manylinux_2_28 aarch64-apple-darwin x86_64-apple-darwin x86_64-pc-windows-msvc; do
    out=$(mktemp)
    if "$tools/bin/uv" pip compile -q --python-platform "$plat" --python-version "$py" \
         --only-binary :all: requirements.txt -o "$out" 2>"$out.err"; then
      versions=$(grep -E '^(torch|numpy)==' "$out" | tr '\n' ' ')
      cuda=$(grep -cE '^(nvidia-|triton|cuda-)' "$out" || true)
      printf 'ok    Python %s  %-24s %3d packages  %s(CUDA/triton packages: %s)\n' \
        "$py" "$plat" "$(grep -cE '^[A-Za-z0-9]' "$out")" "$versions" "$cuda"
    else
      fail=1; printf 'FAIL  Python %s  %-24s\n' "$py" "$plat"; head -5 "$out.err"
    fi
    rm -f "$out" "$out.err"
  done
done
if grep -qiE '^(nvidia-|triton|cuda-)' requirements.txt; then
  echo "requirements.txt names a platform-only package"; fail=1
fi
exit $fail
