// itsm-hub pages: small conveniences only; every page works without this file.
(function () {
  "use strict";
  // Keyboard shortcuts: elements with data-key="x" are followed (links) or clicked (buttons)
  // when x is pressed outside a text field; "?" lists them.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (event.key === "?") {
      var keys = Array.prototype.map.call(document.querySelectorAll("[data-key]"), function (el) {
        return el.getAttribute("data-key") + ": " + (el.getAttribute("aria-label") || el.textContent.trim());
      });
      if (document.querySelector("tr[data-row]")) keys.push("j / k: next / previous row (Enter opens it)");
      if (keys.length) window.alert("Keyboard shortcuts\n\n" + keys.join("\n"));
      return;
    }
    if (event.key === "j" || event.key === "k") {
      // Move through list rows: focus the first link of the next or previous row; Enter opens it.
      var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-row]"));
      if (!rows.length) return;
      var current = rows.findIndex(function (row) { return row.contains(document.activeElement); });
      var next = event.key === "j" ? Math.min(current + 1, rows.length - 1) : Math.max(current - 1, 0);
      var link = rows[next].querySelector("a");
      if (link) { event.preventDefault(); link.focus(); }
      return;
    }
    var element = document.querySelector('[data-key="' + event.key.replace(/"/g, "") + '"]');
    if (!element) return;
    event.preventDefault();
    if (element.tagName === "INPUT" || element.tagName === "SELECT" || element.tagName === "TEXTAREA") {
      element.focus();
    } else {
      element.click();
    }
  });
  // Buttons with data-confirm ask before submitting.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });
  // Forms marked data-inline save without a full reload: the answer's <main> (after the
  // redirect, the page as it is now; or the page with the form's errors or conflict)
  // replaces this one. Without scripts, or if the request fails, the form posts as usual.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute("data-inline") || !window.fetch || !window.DOMParser) return;
    event.preventDefault();
    var button = event.submitter;
    if (button) button.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        return response.text().then(function (html) { return { response: response, html: html }; });
      })
      .then(function (answer) {
        var page = new DOMParser().parseFromString(answer.html, "text/html");
        var main = page.querySelector("main");
        if (!main) { window.location.reload(); return; }
        document.querySelector("main").replaceWith(document.adoptNode(main));
        document.title = page.title;
        if (answer.response.redirected) window.history.replaceState(null, "", answer.response.url);
        var notice = main.querySelector(".error-summary") || main.querySelector(".flashes");
        if (notice) { notice.setAttribute("tabindex", "-1"); notice.focus(); }
      })
      .catch(function () { if (button) button.disabled = false; form.submit(); });
  });
  // Move focus to an error summary so screen readers announce it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  });
})();
