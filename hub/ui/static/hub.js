// itsm-hub pages: small conveniences only; every page works without this file.
(function () {
  "use strict";
  // Keyboard shortcuts: elements with data-key="x" are followed (links) or clicked (buttons)
  // when x is pressed outside a text field; "?" lists them.
  document.addEventListener("keydown", function (event) {
    // Ctrl+Enter (Cmd+Enter) sends a form marked data-submit-key from any of its fields, with
    // its button marked data-submit-default if it has one (a change: "Save draft", the safe one).
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && event.target && event.target.form &&
        event.target.form.hasAttribute("data-submit-key")) {
      event.preventDefault();
      event.target.form.requestSubmit(event.target.form.querySelector("[data-submit-default]") || undefined);
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (event.key === "?") {
      var keys = Array.prototype.map.call(document.querySelectorAll("[data-key]"), function (el) {
        return el.getAttribute("data-key") + ": " + (el.getAttribute("aria-label") || el.textContent.trim());
      });
      if (document.querySelector("tr[data-row]")) keys.push("j / k: next / previous row (Enter opens it)");
      if (document.querySelector("input[data-pick]")) keys.push("x: select / unselect the row (for the actions under the list)");
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
  // Canned replies: choosing one inserts its filled-in text at the cursor, in place.
  function insertCanned(form) {
    var select = form.querySelector("select[name=canned_id]");
    var target = document.getElementById(form.dataset.target);
    if (!select || !select.value || !target || !window.fetch) return false;
    window.fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                               headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
      .then(function (result) {
        if (!result[0]) { window.alert(result[1].detail || "The reply could not be inserted."); return; }
        var reply = result[1];
        var start = target.selectionStart || 0, end = target.selectionEnd || 0;
        target.value = target.value.slice(0, start) + reply.body + target.value.slice(end);
        target.selectionStart = target.selectionEnd = start + reply.body.length;
        var used = document.querySelector("#comment input[name=canned_id]");
        if (used) used.value = reply.id;
        var radio = document.getElementById(reply.visibility === "public" ? "vis-public" : "vis-internal");
        if (radio) radio.checked = true;
        select.value = "";
        target.focus();
      })
      .catch(function () { form.submit(); });
    return true;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList && form.classList.contains("canned-picker") && insertCanned(form)) event.preventDefault();
  });
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.name === "canned_id" && select.form && select.form.classList.contains("canned-picker")) {
      insertCanned(select.form);
    }
  });
  // Forms marked data-inline save without a full reload: the answer's <main> (after the
  // redirect, the page as it is now: timeline, SLA clock, every form's version; or the page
  // with the form's errors or conflict) replaces this one, and focus goes to its message.
  // Without scripts the form posts as usual; so it does when the hub cannot be reached.
  function submitters(form) {
    return Array.prototype.filter.call(form.elements, function (el) { return el.type === "submit"; });
  }
  function release(form) {
    submitters(form).forEach(function (b) { b.disabled = false; });
    form.removeAttribute("aria-busy");
  }
  // An error page instead of this one (the form expired with the session, a file too large, no
  // permission): say why above the form and keep everything typed in it, to copy or send again.
  function showRefusal(form, page, status) {
    var box = form.previousElementSibling;
    if (!box || !box.classList.contains("inline-refusal")) {
      box = document.createElement("div");
      box.className = "error-summary inline-refusal";
      box.setAttribute("role", "alert");
      box.setAttribute("tabindex", "-1");
      form.parentNode.insertBefore(box, form);
    }
    var heading = document.createElement("h2");
    var title = page.querySelector("main h1");
    heading.textContent = "Not saved: " + (title ? title.textContent.trim() : "error " + status);
    var detail = document.createElement("p");
    var lead = page.querySelector("main .lead");
    detail.textContent = (lead ? lead.textContent.trim() + " " : "") + "What you typed is still in the form.";
    box.replaceChildren(heading, detail);
    release(form);
    box.focus();
  }
  function showAnswer(form, response, html) {
    var target = new URL(response.url, window.location.href);
    if (response.redirected && target.pathname !== window.location.pathname) {
      // Sent to another page: go there as a page would.
      window.location.assign(response.url);
      return;
    }
    var page = new DOMParser().parseFromString(html, "text/html");
    var main = page.querySelector("main");
    if (!response.ok && (!main || !form.id || !page.getElementById(form.id))) {
      showRefusal(form, page, response.status);
      return;
    }
    if (!main) { window.location.reload(); return; }
    document.querySelector("main").replaceWith(document.adoptNode(main));
    document.title = page.title;
    // The redirect's URL (fetch never shows its #fragment): reloading shows this page, not the form's POST.
    if (response.redirected) window.history.replaceState(null, "", target.pathname + target.search);
    var notice = main.querySelector(".error-summary") || main.querySelector(".flashes") || main;
    if (!notice.hasAttribute("tabindex")) notice.setAttribute("tabindex", "-1");
    notice.focus();
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.hasAttribute("data-inline") || !window.fetch || !window.DOMParser) return;
    event.preventDefault();
    // One send at a time: a second click, Enter or Ctrl+Enter while the first is on its way does nothing.
    if (form.getAttribute("aria-busy") === "true") return;
    var button = event.submitter;
    var data = new FormData(form);
    // FormData(form) leaves out the button that was pressed (Approve or Reject, Assign to me).
    if (button && button.name) data.append(button.name, button.value);
    form.setAttribute("aria-busy", "true");
    var buttons = submitters(form);
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        // Answered: the change is made (or refused). Never send it again; at worst show the page anew.
        return response.text()
          .then(function (html) { showAnswer(form, response, html); })
          .catch(function () { window.location.reload(); });
      }, function () {
        // No answer at all: post the usual way, so the browser itself says what is wrong.
        release(form);
        if (button && button.name) {
          var pressed = document.createElement("input");
          pressed.type = "hidden"; pressed.name = button.name; pressed.value = button.value;
          form.appendChild(pressed);
        }
        form.submit();
      });
  });
  // Bulk actions on the lists: "x" ticks the focused row, the bar counts the ticked rows and
  // shows only the chosen action's inputs, and a merge asks first. Without this the bar shows
  // every input and the server uses the chosen action's.
  function picks() { return Array.prototype.slice.call(document.querySelectorAll("input[data-pick]")); }
  function bulkUpdate() {
    var all = picks(), chosen = all.filter(function (box) { return box.checked; }).length;
    var count = document.querySelector("[data-pick-count]");
    if (count) { count.textContent = chosen + " selected"; count.hidden = chosen === 0; }
    var every = document.querySelector("[data-pick-all]");
    if (every) { every.checked = chosen > 0 && chosen === all.length; every.indeterminate = chosen > 0 && chosen < all.length; }
    var panel = document.querySelector("details[data-bulk]");
    if (panel && chosen > 0 && !panel.dataset.seen && window.matchMedia("(min-width: 60rem)").matches) {
      panel.open = true;  // once: an agent who folds it again keeps it folded
      panel.dataset.seen = "1";
    }
    return chosen;
  }
  function bulkShow(select) {
    if (!select || !select.form) return;
    select.form.querySelectorAll("[data-for]").forEach(function (field) {
      field.hidden = field.getAttribute("data-for") !== select.value;
    });
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "x" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var onBox = target && target.hasAttribute && target.hasAttribute("data-pick");
    if (!onBox && target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var row = document.activeElement && document.activeElement.closest && document.activeElement.closest("tr[data-row]");
    var box = row && row.querySelector("input[data-pick]");
    if (!box) return;
    event.preventDefault();
    box.checked = !box.checked;
    bulkUpdate();
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.hasAttribute("data-pick")) bulkUpdate();
    if (target.hasAttribute("data-pick-all")) {
      picks().forEach(function (box) { box.checked = target.checked; });
      bulkUpdate();
    }
    if (target.hasAttribute("data-bulk-action")) bulkShow(target);
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "bulk-form" || form.elements.action.value !== "merge") return;
    var into = (form.elements.into.value || "").trim().toUpperCase();
    var chosen = bulkUpdate();
    if (chosen && into && !window.confirm("Merge " + chosen + " selected into " + into + "? Each is closed as its " +
                                          "duplicate and its requester is told.")) event.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", function () {
    var every = document.querySelector("[data-pick-all]");
    if (every) every.hidden = false;
    bulkShow(document.querySelector("[data-bulk-action]"));
    if (picks().length) bulkUpdate();  // a page restored from history keeps its ticks
  });
  // A create form shows every department's custom fields; with a department chosen, only
  // those of that department (and of every department) stay, and only they are sent.
  function customFieldsFollow(form) {
    var department = form.querySelector("select[name=department]");
    var fields = form.querySelectorAll("[data-custom-fields] [data-department]");
    if (!department || !fields.length) return;
    fields.forEach(function (field) {
      var own = field.getAttribute("data-department");
      var shown = !own || own === department.value;
      field.hidden = !shown;
      field.querySelectorAll("input, select").forEach(function (input) { input.disabled = !shown; });
      var note = field.querySelector(".dept-note");
      if (note) note.hidden = true;  // the department is the one chosen above
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "department" && event.target.form) customFieldsFollow(event.target.form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.ticket-form").forEach(customFieldsFollow);
  });
  // A one-click rating link records as it opens (docs/admin.md, One-click satisfaction): its
  // page's form sends itself, once. A mail scanner fetching the link runs no script and
  // records nothing; without scripts the page's button sends the same form.
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-autosubmit]");
    if (!form) return;
    var key = "autosubmitted:" + form.action;
    try {
      if (window.sessionStorage.getItem(key)) return;  // back to the page: it was sent
      window.sessionStorage.setItem(key, "1");
    } catch (error) { /* no storage: send it this once */ }
    form.requestSubmit();
  });
  // Move focus to an error summary so screen readers announce it.
  document.addEventListener("DOMContentLoaded", function () {
    // Filter panels stay folded on a phone (the tickets come first) and open where there is room.
    if (window.matchMedia("(min-width: 60rem)").matches) {
      document.querySelectorAll("details[data-open-wide]").forEach(function (panel) { panel.open = true; });
    }
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  });
})();
