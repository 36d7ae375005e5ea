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
