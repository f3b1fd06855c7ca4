#!/usr/bin/env bash
# Fetch, pinned, from the npm registry the front-end files the book's pages would otherwise
# load from CDNs, into _vendor/ (out of git). _ext/offline_assets.py serves them when present.
#   _vendor/mathjax/es5/        MathJax 3 (Sphinx's mathjax_path)
#   _vendor/widgets/            RequireJS + @jupyter-widgets/html-manager (myst-nb's nb_ipywidgets_js)
# Without npm this prints why and exits 0: the pages then load those files from the CDNs.
set -euo pipefail
cd "$(dirname "$0")/.."

MATHJAX=mathjax@3.2.2
HTML_MANAGER=@jupyter-widgets/html-manager@1.0.7
REQUIREJS=requirejs@2.3.7
VENDOR=_vendor
STAMP="$VENDOR/.fetched-$MATHJAX-${HTML_MANAGER//\//_}-$REQUIREJS"

if [ -f "$STAMP" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "note: npm not found, so the book will load MathJax and the widget manager from CDNs"
  echo "      (install Node.js/npm and run 'make book' again for a book that works offline)."
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetching $MATHJAX, $HTML_MANAGER, $REQUIREJS from the npm registry..."
for pkg in "$MATHJAX" "$HTML_MANAGER" "$REQUIREJS"; do
  name=${pkg%@*}; name=${name//@/}; name=${name//\//_}
  mkdir -p "$tmp/$name"
  (cd "$tmp/$name" && npm pack --silent "$pkg" >/dev/null && tar -xzf ./*.tgz)
done

rm -rf "$VENDOR"
mkdir -p "$VENDOR/mathjax" "$VENDOR/widgets"
cp -r "$tmp/mathjax/package/es5" "$VENDOR/mathjax/es5"
cp -r "$tmp/jupyter-widgets_html-manager/package/dist/." "$VENDOR/widgets/"
cp "$tmp/requirejs/package/require.js" "$VENDOR/widgets/require.js"
touch "$STAMP"
echo "web assets ready in $VENDOR/"
