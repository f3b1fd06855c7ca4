// Loaded between require.js and the widget manager (see _ext/offline_assets.py). The widget
// manager finds its icon fonts next to the URL RequireJS gives its own module; by default that
// is a CDN-style path relative to the page. Map it onto this book's _static/widgets/ folder.
(function () {
  var root = document.documentElement.dataset.content_root || "";
  var widgets = new URL(root + "_static/widgets", document.baseURI).href;
  window.require.config({paths: {"@jupyter-widgets/html-manager/dist": widgets}});
})();
