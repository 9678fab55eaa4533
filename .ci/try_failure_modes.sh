#!/usr/bin/env bash
# Break the book on purpose, six ways, and check that `make test` (or the step of it
# that owns the check) fails each time. Run it in a throwaway clone after a green
# `make test` (it needs the venv, the jupyter-cache and the built site):
#   git clone . /tmp/try && cd /tmp/try && make test && .ci/try_failure_modes.sh
# Every file it changes is restored with git afterwards.
set -uo pipefail
cd "$(dirname "$0")/.."
[ -d _build/html ] && [ -d _build/.jupyter_cache ] || { echo "run make test first" >&2; exit 2; }
nb=book/01_cnn_basics.ipynb
failures=0
expect_failure() {  # name, command...
  local name=$1; shift
  local start=$(date +%s)
  if "$@" > "_build/try_$name.log" 2>&1; then
    echo "NOT CAUGHT  $name: '$*' exited 0 (log: _build/try_$name.log)"; failures=$((failures + 1))
  else
    echo "caught      $name: '$*' failed as it should, in $(( $(date +%s) - start )) s: $(grep -m1 -E "$PATTERN" "_build/try_$name.log" | cut -c1-150)"
  fi
}

# 1. a raising cell: nbval fails (make test with only this notebook)
.venv/bin/python - "$nb" <<'PY'
import sys, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
nb.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('broken on purpose')"))
nbformat.write(nb, sys.argv[1])
PY
cp -r _build/.jupyter_cache /tmp/try_cache_$$
PATTERN="broken on purpose|failed"; expect_failure raising-cell make --no-print-directory test NOTEBOOKS=$nb
git checkout -q -- "$nb"
rm -rf _build/.jupyter_cache && mv /tmp/try_cache_$$ _build/.jupyter_cache

# 2. a build warning: an unknown document in the intro; the build (from nbval's cache) fails
printf '\nSee {doc}`no_such_page`.\n' >> book/intro.md
PATTERN="WARNING"; expect_failure build-warning make --no-print-directory build-from-cache
git checkout -q -- book/intro.md

# 3. a notebook stored with outputs: the first step of make test fails within seconds
.venv/bin/python - "$nb" <<'PY'
import sys, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
cell = next(c for c in nb.cells if c.cell_type == "code")
cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="left behind\n")]
nbformat.write(nb, sys.argv[1])
PY
PATTERN="stored with outputs"; expect_failure stored-outputs make --no-print-directory test
git checkout -q -- "$nb"

# 4. a page that asks a CDN for a script: the browser test fails
make --no-print-directory build-from-cache > _build/try_rebuild.log 2>&1 || { echo "rebuild failed" >&2; exit 2; }
sed -i 's|</head>|<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script></head>|' \
  _build/html/book/intro.html
PATTERN="outside hosts"; expect_failure cdn-request make --no-print-directory site-test
make --no-print-directory build-from-cache > _build/try_rebuild.log 2>&1

# 5. an English sentence edited without its translation: make i18n-check fails (fuzzy)
sed -i 's/^Every technical term the book uses, in English and Chinese/Every technical term this book uses, in English and Chinese/' book/glossary.md
make --no-print-directory i18n-update > _build/try_i18n_update.log 2>&1
PATTERN="fuzzy|need work"; expect_failure untranslated-edit make --no-print-directory i18n-check
git checkout -q -- book/glossary.md locales book/zh

# 6. a translation that lost its math: make i18n-check fails
.venv/bin/python - <<'PY'
from babel.messages.pofile import read_po, write_po
path = "locales/zh_CN/LC_MESSAGES/book/01_cnn_basics.po"
catalog = read_po(open(path, "rb"))
message = next(m for m in catalog if m.id and "$" in m.id and "$" in m.string)
message.string = message.string.replace("$", "")
write_po(open(path, "wb"), catalog, width=0)
PY
PATTERN="math/role/link"; expect_failure lost-math make --no-print-directory i18n-check
git checkout -q -- locales

echo "$(( 6 - failures )) of 6 deliberate breakages caught"
exit $failures
