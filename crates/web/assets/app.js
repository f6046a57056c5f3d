// Small page behaviours shared by every page; no framework beyond htmx.
(function () {
  // Every htmx request carries the session's CSRF token.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) event.detail.headers["X-CSRF-Token"] = meta.content;
  });
  // Charts: <div class="chart" data-option='{...ECharts option...}'>.
  function drawCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("div.chart[data-option]").forEach(function (el) {
      if (el.dataset.drawn) return;
      el.dataset.drawn = "1";
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(JSON.parse(el.dataset.option));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });
  // Forms with data-confirm ask before they are sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
  // Forms with data-busy="正在…" disable their buttons once sent, so a slow
  // step (a draw, a commit) cannot be sent twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.dataset || !form.dataset.busy) return;
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("button[type=submit], button:not([type])").forEach(function (button) {
      button.disabled = true;
      button.textContent = form.dataset.busy;
    });
  });
  // Sensitive pages: no copying, cutting, dragging out or context menu
  // (form fields stay usable).
  ["copy", "cut", "contextmenu", "dragstart", "selectstart"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (!document.body.classList.contains("no-copy")) return;
      var target = event.target;
      if (type === "selectstart" && target && target.closest && target.closest("input, textarea, select")) return;
      event.preventDefault();
    });
  });
})();
