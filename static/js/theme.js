// Follows the system's light/dark preference (Bootstrap 5.3 color modes); loaded in <head>
// so the first paint already has the right theme.
(function () {
  const query = window.matchMedia("(prefers-color-scheme: dark)");
  const apply = () => document.documentElement.setAttribute("data-bs-theme", query.matches ? "dark" : "light");
  apply();
  query.addEventListener("change", apply);
})();
