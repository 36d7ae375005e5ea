// The web app's own script: a progressive enhancement, every page works without it.
(function () {
  "use strict";

  // Sends the CSRF token with every htmx request; the token is in a <meta> tag of each page.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRF-Token"] = meta.content; }
  });

  // "Does not apply" needs a reason: open the details and put the cursor in the reason field.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name === "status" && input.value === "not_applicable") {
      var form = input.closest("form");
      var details = form && form.querySelector("details");
      var reason = form && form.querySelector("input[name=na_reason]");
      if (details) { details.open = true; }
      if (reason && !reason.value) { reason.focus(); }
    }
  });

  // ---------------------------------------------------------------------------------------
  // Saving as you go (forms with hx-trigger="hicp-save"): a settled choice is saved once.
  // A click or a typed field saves at once; arrow keys moving through a group of radio
  // buttons save only when the choice rests (a pause, or the focus leaves the group), so
  // the audit log is not filled with each status passed on the way.
  var SETTLE_MS = 900;
  var lastKey = 0;
  var pending = new Map();

  document.addEventListener("keydown", function (event) {
    if (/^Arrow/.test(event.key)) { lastKey = Date.now(); }
  }, true);

  function autosaves(form) {
    return form && form.getAttribute("hx-trigger") === "hicp-save";
  }

  function save(form) {
    var t = pending.get(form);
    if (t) { clearTimeout(t); pending.delete(form); }
    if (!window.htmx) { return; }
    if (autosaves(form)) {
      window.htmx.trigger(form, "hicp-save");
    } else if (form.requestSubmit) {
      form.requestSubmit();
    }
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    var form = input.closest && input.closest("form");
    if (!autosaves(form)) { return; }
    var t = pending.get(form);
    if (t) { clearTimeout(t); }
    if (input.type === "radio" && Date.now() - lastKey < 500) {
      pending.set(form, setTimeout(function () { save(form); }, SETTLE_MS));
    } else {
      save(form);
    }
  });

  document.addEventListener("focusout", function (event) {
    var form = event.target.closest && event.target.closest("form");
    if (!form || !pending.has(form)) { return; }
    var next = event.relatedTarget;
    var group = event.target.closest("[role=radiogroup]");
    if (!next || !group || !group.contains(next)) { save(form); }
  });

  window.addEventListener("pagehide", function () {
    pending.forEach(function (_, form) { save(form); });
  });

  // ---------------------------------------------------------------------------------------
  // A save that fails says why, next to the control, and keeps what was entered: the
  // controls keep their values, and a copy waits in sessionStorage (this tab only) until it
  // is saved, so it survives signing in again and a reload.
  var KEY = "hicp-unsent:";

  // Where a form's outcome is said: the status area of a saved answer or plan action (the
  // form's hx-target), or for other forms (uploads, imports) a line right after the form.
  function target(form) {
    var sel = form.getAttribute("hx-target");
    if (sel && form.querySelector("input[name=version]")) { return document.querySelector(sel); }
    var next = form.nextElementSibling;
    if (next && next.classList.contains("save-failed")) { return next; }
    var line = document.createElement("p");
    line.className = "save-failed";
    form.parentNode.insertBefore(line, form.nextSibling);
    return line;
  }

  // Only small forms with a version (answers, plan actions) are kept across a reload; a
  // file cannot be.
  function keepable(form) {
    return !!form.querySelector("input[name=version]");
  }

  function fields(form) {
    var out = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf" && typeof value === "string") { out.push([name, value]); }
    });
    return out;
  }

  function keep(form) {
    if (!keepable(form)) { return; }
    try {
      sessionStorage.setItem(KEY + form.getAttribute("hx-post"), JSON.stringify(fields(form)));
    } catch (e) { /* storage full or off: the page still keeps the values */ }
  }

  function forget(form) {
    try { sessionStorage.removeItem(KEY + form.getAttribute("hx-post")); } catch (e) { /* off */ }
  }

  function restore(form, values) {
    values.forEach(function (pair) {
      var name = pair[0], value = pair[1];
      var els = form.querySelectorAll("[name='" + name.replace(/'/g, "") + "']");
      els.forEach(function (el) {
        if (el.type === "radio" || el.type === "checkbox") {
          el.checked = el.value === value;
        } else if (el.type !== "file") {
          el.value = value;
        }
      });
    });
  }

  function button(text, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  // Shows `message` for `form` in its status area (aria-live), with the offers that fit.
  function tell(form, message, offers) {
    var box = target(form);
    if (!box) { return; }
    box.className = "error save-failed";
    box.setAttribute("role", "alert");
    box.textContent = "";
    var p = document.createElement("span");
    p.textContent = message + " ";
    box.appendChild(p);
    (offers || []).forEach(function (o) { box.appendChild(o); box.appendChild(document.createTextNode(" ")); });
  }

  function signInLink() {
    var a = document.createElement("a");
    a.href = "/login";
    a.target = "_blank";
    a.rel = "noopener";
    a.textContent = "Sign in again (opens a new tab)";
    return a;
  }

  // The page's CSRF token belongs to the session it was shown in: after signing in again
  // (in another tab), read the new one from a fresh copy of this page.
  function refreshToken() {
    return fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (new URL(r.url).pathname === "/login") { throw new Error("signed-out"); }
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var meta = doc.querySelector('meta[name="csrf-token"]');
        if (!meta) { throw new Error("signed-out"); }
        var mine = document.querySelector('meta[name="csrf-token"]');
        if (mine) { mine.content = meta.content; }
        document.querySelectorAll("input[name=csrf]").forEach(function (i) { i.value = meta.content; });
      });
  }

  function retry(form) {
    return button("Save again", function () {
      refreshToken().then(function () { save(form); }, function () {
        tell(form, "Still signed out: sign in again first. What you entered is kept here.",
          [signInLink(), retry(form)]);
      });
    });
  }

  function failed(form, status, refusal, words) {
    keep(form);
    if (refusal === "csrf" && !form.dataset.retried) {
      // The page's token is stale (signed in again elsewhere, in another tab): take the
      // current one and send once more, without bothering the person.
      form.dataset.retried = "1";
      refreshToken().then(function () { save(form); }, function () {
        failed(form, 403, "signed-out", "");
      });
      return;
    }
    if (status === 0) {
      tell(form, "Not saved: the server could not be reached. What you entered is kept here; save again when the connection is back.",
        [retry(form)]);
    } else if (refusal === "signed-out" || refusal === "csrf") {
      tell(form, "Not saved: you are signed out (your session ended). What you entered is kept here: sign in again, then save.",
        [signInLink(), retry(form)]);
    } else if (refusal === "forbidden" || refusal === "not-found") {
      forget(form);
      tell(form, "Not saved: your role lets you read this organization but not change it. Ask one of its admins if you need to.",
        []);
    } else if (words) {
      tell(form, "Not saved: " + words.replace(/^Not saved: /, ""), [retry(form)]);
    } else {
      tell(form, "Not saved: something went wrong on our side. What you entered is kept here; try again.",
        [retry(form)]);
    }
  }

  // The sentence of an error page (`<main><h1>code</h1><p>words</p>`).
  function wordsOf(xhr) {
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var p = doc.querySelector("main p");
      return p ? p.textContent.trim() : "";
    } catch (e) { return ""; }
  }

  function formOf(event) {
    var elt = event.detail && event.detail.elt;
    return elt && elt.closest ? elt.closest("form[hx-post]") : null;
  }

  document.addEventListener("htmx:responseError", function (event) {
    var form = formOf(event);
    if (!form) { return; }
    var xhr = event.detail.xhr;
    failed(form, xhr.status, xhr.getResponseHeader("x-hicp-refusal"), wordsOf(xhr));
  });

  document.addEventListener("htmx:sendError", function (event) {
    var form = formOf(event);
    if (form) { failed(form, 0, null, ""); }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = formOf(event);
    if (form && event.detail.successful) {
      forget(form);
      delete form.dataset.retried;
    }
  });

  // What was not saved before a reload or a new sign-in in this tab comes back, marked.
  function restoreAll() {
    document.querySelectorAll("form[hx-post]").forEach(function (form) {
      if (!keepable(form)) { return; }
      var raw = null;
      try { raw = sessionStorage.getItem(KEY + form.getAttribute("hx-post")); } catch (e) { /* off */ }
      if (!raw) { return; }
      var values;
      try { values = JSON.parse(raw); } catch (e) { forget(form); return; }
      var fieldset = form.querySelector("fieldset");
      if (fieldset && fieldset.disabled) { forget(form); return; }
      restore(form, values);
      var details = form.querySelectorAll("details");
      details.forEach(function (d) { d.open = true; });
      var closed = form.closest("details");
      if (closed) { closed.open = true; }
      tell(form, "This is what you entered before, and it is not saved yet.", [
        button("Save it now", function () { save(form); }),
        button("Discard it", function () { forget(form); window.location.reload(); })
      ]);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Times: the server writes UTC (<time datetime="...Z">); shown in the reader's own time
  // zone, the UTC kept as the tooltip.
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      var iso = t.getAttribute("datetime");
      if (!/T/.test(iso) || t.dataset.local) { return; }
      var d = new Date(iso);
      if (isNaN(d.getTime())) { return; }
      t.title = t.textContent;
      t.dataset.local = "1";
      t.textContent = d.toLocaleString(undefined, {
        year: "numeric", month: "short", day: "numeric",
        hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      });
    });
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    localTimes(event.detail.elt && event.detail.elt.parentNode ? event.detail.elt.parentNode : document);
  });

  function ready() {
    restoreAll();
    localTimes(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();

// Upload progress for forms with data-progress="ID" (htmx sends them; without JavaScript the
// browser shows its own). The bar only moves forward: htmx reports the response's download
// after the upload.
document.addEventListener("htmx:xhr:progress", function (event) {
  var form = event.target;
  var id = form && form.dataset ? form.dataset.progress : null;
  var box = id && document.getElementById(id);
  if (!box || !event.detail.lengthComputable || !event.detail.total) { return; }
  var bar = box.querySelector("progress");
  var text = box.querySelector("span");
  var percent = Math.floor((100 * event.detail.loaded) / event.detail.total);
  box.hidden = false;
  if (bar && percent > bar.value) {
    bar.value = percent;
    if (text) { text.textContent = percent < 100 ? "Uploading… " + percent + "%" : "Reading the file…"; }
  }
});
document.addEventListener("htmx:beforeRequest", function (event) {
  var form = event.target;
  var id = form && form.dataset ? form.dataset.progress : null;
  var box = id && document.getElementById(id);
  if (box) {
    var bar = box.querySelector("progress");
    if (bar) { bar.value = 0; }
    box.hidden = false;
  }
});
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.target;
  var id = form && form.dataset ? form.dataset.progress : null;
  var box = id && document.getElementById(id);
  if (box) { box.hidden = true; }
});
