// Applies the reader's saved text size and contrast before the page paints (no inline script:
// this small file is loaded from <head>). The buttons that change them live in portal.js.
(function () {
  var root = document.documentElement;
  root.classList.add("portal-js");
  try {
    var size = window.localStorage.getItem("portal-font-size");
    if (size && /^-?[0-9]$/.test(size)) root.setAttribute("data-font-size", size);
    if (window.localStorage.getItem("portal-contrast") === "high") root.classList.add("portal-contrast");
  } catch (error) {
    // Storage may be blocked (private mode): the page reads fine with the defaults.
  }
})();
