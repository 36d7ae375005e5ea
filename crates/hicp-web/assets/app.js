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
