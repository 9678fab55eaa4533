#!/usr/bin/env bash
# Vendor the JavaScript the site needs, so that no page loads anything from a CDN:
# MathJax 3 (math), require.js and @jupyter-widgets/html-manager (widgets).
# Fetched from the npm registry with pinned versions, copied to book/_static_vendor/
# (listed in html_static_path; Sphinx copies it to _build/html/_static/).
set -euo pipefail
cd "$(dirname "$0")/.."

MATHJAX=3.2.2
REQUIREJS=2.3.8
HTML_MANAGER=1.0.15
dest=book/_static_vendor
stamp="mathjax@$MATHJAX requirejs@$REQUIREJS html-manager@$HTML_MANAGER paths.js@2"

if [ -f "$dest/VERSIONS" ] && [ "$(cat "$dest/VERSIONS")" = "$stamp" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is needed to vendor MathJax and the widget manager: apt-get install -y npm" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "vendoring $stamp into $dest"
(cd "$work" && npm init -y >/dev/null 2>&1 \
  && npm install --no-audit --no-fund --loglevel=error \
       "mathjax@$MATHJAX" "requirejs@$REQUIREJS" "@jupyter-widgets/html-manager@$HTML_MANAGER" >/dev/null)
nm="$work/node_modules"

rm -rf "$dest"
mkdir -p "$dest/mathjax" "$dest/require" "$dest/html-manager"
# MathJax: the TeX→CHTML component, its fonts, and the lazily loaded pieces (extensions, menu, a11y).
cp "$nm/mathjax/es5/tex-chtml.js" "$dest/mathjax/"
cp -r "$nm/mathjax/es5/output" "$nm/mathjax/es5/input" "$nm/mathjax/es5/ui" "$nm/mathjax/es5/a11y" "$dest/mathjax/"
cp "$nm/mathjax/LICENSE" "$dest/mathjax/"
# require.js
cp "$nm/requirejs/require.js" "$dest/require/require.min.js"
# The widget manager: the AMD bundle and the fonts it asks for.
cp "$nm/@jupyter-widgets/html-manager/dist/embed-amd.js" "$dest/html-manager/"
find "$nm/@jupyter-widgets/html-manager/dist" -maxdepth 1 -type f \
  \( -name '*.woff' -o -name '*.woff2' -o -name '*.ttf' -o -name '*.eot' -o -name '*.svg' \) \
  -exec cp {} "$dest/html-manager/" \;
# Point require.js at the site's copy of the widget manager (its fonts are asked for
# relative to "@jupyter-widgets/html-manager/dist/"), and give MathJax 3 the MathJax 2
# entry point the widget manager calls to typeset labels (MathJax.Hub.Queue).
cat > "$dest/require/paths.js" <<'JS'
(function () {
  var root = document.documentElement.dataset.content_root || "./";
  require.config({paths: {"@jupyter-widgets/html-manager/dist": root + "_static/html-manager"}});
  function shimMathJax() {
    var mj = window.MathJax;
    if (mj && mj.version && !mj.Hub) {
      mj.Hub = {Queue: function (job) {
        var element = job && job[2];
        if (element && mj.typesetPromise) {
          mj.startup.promise.then(function () { return mj.typesetPromise([element]); });
        }
      }};
    }
  }
  document.addEventListener("DOMContentLoaded", shimMathJax);
  window.addEventListener("load", shimMathJax, true);
})();
JS
echo "$stamp" > "$dest/VERSIONS"
du -sh "$dest"
