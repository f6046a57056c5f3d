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
  // Forms with data-confirm ask before they are sent; accepted, they carry
  // confirm=1, which the server requires for irreversible steps (without
  // script the server asks on a confirmation page instead).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.confirm) return;
    if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
    var field = form.querySelector('input[name="confirm"]');
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = "confirm";
      form.appendChild(field);
    }
    field.value = "1";
  });
  // Busy state: a form being sent cannot be sent again; its submit buttons
  // say 处理中… until the answer comes (or the page comes back from history).
  // The form's own attributes: form.method and form.action are shadowed by
  // inputs named "method" or "action" (the result form has one).
  function isPost(form) {
    return (form.getAttribute("method") || "").toLowerCase() === "post";
  }
  function buttonsOf(form) {
    return Array.prototype.slice.call(form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]'));
  }
  function setBusy(form, busy) {
    buttonsOf(form).forEach(function (button) {
      if (busy) {
        if (button.dataset.idleLabel === undefined) button.dataset.idleLabel = button.tagName === "INPUT" ? button.value : button.textContent;
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        var label = form.dataset.busyLabel || "处理中…";
        if (button.tagName === "INPUT") button.value = label; else button.textContent = label;
      } else if (button.dataset.idleLabel !== undefined) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        if (button.tagName === "INPUT") button.value = button.dataset.idleLabel; else button.textContent = button.dataset.idleLabel;
        delete button.dataset.idleLabel;
      }
    });
    if (busy) form.setAttribute("data-busy", "1"); else form.removeAttribute("data-busy");
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // Only forms that change something (POST); searches and downloads by GET stay free.
    if (event.defaultPrevented || !form || !isPost(form)) return;
    if (form.getAttribute("data-busy")) { event.preventDefault(); return; }
    // After this event, so the pressed button's name and value still go with the form.
    setTimeout(function () { setBusy(form, true); }, 0);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail && event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    if (form) setBusy(form, false);
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail && event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    if (form) setBusy(form, true);
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-busy]").forEach(function (form) { setBusy(form, false); });
  });
  // Staff forms are sent with fetch (header X-Inline-Errors):
  // a refusal comes back as JSON ({code, message, field}) and is shown in an
  // alert above the form, the field at fault marked, the input kept; a success
  // comes back as {location} and the browser goes there (another answer is
  // shown as the page). Without script the server's error
  // page, inside the app frame, offers 返回修改.
  function clearInlineErrors(form) {
    var alert = form.previousElementSibling;
    if (alert && alert.classList.contains("form-error")) alert.remove();
    form.querySelectorAll("[aria-invalid]").forEach(function (field) {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
    });
    form.querySelectorAll(".field-error").forEach(function (note) { note.remove(); });
  }
  function showInlineError(form, problem) {
    clearInlineErrors(form);
    var alert = document.createElement("div");
    alert.className = "form-error error-box";
    alert.setAttribute("role", "alert");
    alert.setAttribute("data-error-code", problem.code || "");
    alert.textContent = problem.message || problem.error || "提交未成功，请检查后重试";
    form.parentNode.insertBefore(alert, form);
    var field = problem.field ? form.querySelector('[name="' + problem.field + '"]:not([type="hidden"])') : null;
    if (field) {
      var note = document.createElement("span");
      note.className = "field-error";
      note.id = "error-" + problem.field;
      note.textContent = problem.message;
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", note.id);
      field.insertAdjacentElement("afterend", note);
      field.focus();
    } else {
      alert.setAttribute("tabindex", "-1");
      alert.focus();
    }
  }
  // Every POST form of a staff page (<meta name="inline-errors" content="default">) is sent
  // this way unless marked data-inline-errors="off"; forms driven by htmx are
  // left to htmx. Elsewhere only forms marked data-inline-errors are.
  function inlineErrors(form) {
    var mark = form.getAttribute("data-inline-errors");
    if (mark === "off" || form.hasAttribute("hx-post") || form.getAttribute("target")) return false;
    return mark !== null || !!document.querySelector('meta[name="inline-errors"][content="default"]');
  }
  // A file answered to a form (Content-Disposition: attachment) is saved, not shown.
  function download(blob, disposition) {
    var match = /filename\*=UTF-8''([^;]+)/i.exec(disposition) || /filename="?([^";]+)"?/i.exec(disposition);
    var name = "download";
    if (match) { try { name = decodeURIComponent(match[1]); } catch (error) { name = match[1]; } }
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 60000);
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form || !isPost(form) || !inlineErrors(form) || !window.fetch) return;
    event.preventDefault();
    var data = new FormData(form, event.submitter || undefined);
    var multipart = (form.getAttribute("enctype") || "").toLowerCase() === "multipart/form-data";
    var body = multipart ? data : new URLSearchParams(data);
    var action = new URL(form.getAttribute("action") || "", document.baseURI).href;
    fetch(action, { method: "POST", body: body, credentials: "same-origin", headers: { "X-Inline-Errors": "1", "Accept": "application/json, text/html" } })
      .then(function (response) {
        var type = response.headers.get("content-type") || "";
        if (type.indexOf("application/json") === 0) {
          return response.json().then(function (answer) {
            if (response.ok && answer.location) { window.location.assign(answer.location); return; }
            setBusy(form, false);
            showInlineError(form, answer);
          });
        }
        var disposition = response.headers.get("content-disposition") || "";
        if (disposition.indexOf("attachment") === 0) {
          return response.blob().then(function (blob) { setBusy(form, false); download(blob, disposition); });
        }
        return response.text().then(function (html) {
          // The address the browser would show after sending the form itself:
          // the action (a page answered to the POST, e.g. a job page) or where
          // a followed redirect ended.
          if (window.history.replaceState && response.url) window.history.replaceState(null, "", response.url);
          document.open(); document.write(html); document.close();
        });
      })
      .catch(function () {
        setBusy(form, false);
        showInlineError(form, { message: "网络连接失败，输入已保留，请稍后重试" });
      });
  });
  // The phone menu: the 菜单 button opens and closes the navigation; a click
  // elsewhere closes the bar's open drop-downs.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("header.top nav details[open]").forEach(function (group) {
      if (!group.contains(event.target)) group.removeAttribute("open");
    });
    var toggle = event.target.closest ? event.target.closest("[data-menu-toggle]") : null;
    if (!toggle) return;
    var open = document.body.classList.toggle("menu-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
  // Sensitive pages resist copying prose (names, verdicts) but identifiers
  // (.mono, code, [data-copy]) and form fields copy freely; the watermark stays.
  var copyable = ".mono, code, [data-copy], input, textarea, select";
  function insideCopyable(node) {
    var element = node && node.nodeType === 1 ? node : node && node.parentElement;
    return !!(element && element.closest && element.closest(copyable));
  }
  ["copy", "cut", "contextmenu", "dragstart", "selectstart"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (!document.body.classList.contains("no-copy")) return;
      if (type === "copy" || type === "cut") {
        var selection = window.getSelection();
        if (selection && insideCopyable(selection.anchorNode) && insideCopyable(selection.focusNode)) return;
      } else if (insideCopyable(event.target)) {
        return;
      }
      event.preventDefault();
    });
  });
})();
