#!/usr/bin/env bash
# Build a few pages of the book on their own, for working on one chapter:
#   .ci/build_pages.sh OUT book/02_transposed_convolution [book/faq ...]
# Writes a table of contents with the intro, the given pages, the glossary and the
# references, and builds it into OUT/_build/html (warnings shown, not fatal: links to
# chapters left out of this partial build are expected to warn).
# Test it in the browser with: BOOK_SITE=OUT/_build/html .venv/bin/python -m pytest tests -m site
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1; shift
mkdir -p "$out"
rm -rf "$out/_build/.jupyter_cache"   # execute afresh: the cache cannot see changes in helpers/
toc="$out/_toc.yml"
{
  echo "format: jb-book"
  echo "root: book/intro"
  echo "chapters:"
  for page in "$@" book/glossary book/references; do
    echo "  - file: ${page%.*}"
  done
} > "$toc"
.ci/vendor_js.sh
.venv/bin/jupyter-book build . --toc "$toc" --path-output "$out" --keep-going
