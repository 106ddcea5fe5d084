// Small behaviours shared by every page; no inline scripts so a strict CSP stays possible.
(function () {
  "use strict";
  // After htmx swaps in a fragment, move focus to its first heading or alert so screen readers
  // announce what changed (keyboard users keep their place in the page).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    // An outerHTML swap replaced the target: look in its replacement (same id) instead.
    if (!target.isConnected && target.id) target = document.getElementById(target.id);
    if (!target) return;
    // A refused form: its error summary takes focus (GOV.UK), else the fragment's heading or alert.
    var focusable = target.querySelector("[data-error-summary]") || target.querySelector("[data-focus-after-swap]");
    if (focusable) {
      if (!focusable.hasAttribute("tabindex")) focusable.setAttribute("tabindex", "-1");
      focusable.focus();
    }
  });
  // A page that opens with a refused form: focus its error summary so it is read first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  });
  // A table wider than its box scrolls: make the scrolling box reachable from the keyboard and
  // named after its table's caption (axe: scrollable-region-focusable).
  function scrollableTables(root) {
    (root || document).querySelectorAll(".table-responsive").forEach(function (box) {
      if (box.scrollWidth <= box.clientWidth || box.hasAttribute("tabindex")) return;
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      var caption = box.querySelector("caption");
      if (caption && caption.textContent.trim()) box.setAttribute("aria-label", caption.textContent.trim());
    });
  }
  document.addEventListener("DOMContentLoaded", function () { scrollableTables(document); });
  window.addEventListener("resize", function () { scrollableTables(document); });
  document.addEventListener("htmx:afterSettle", function () { scrollableTables(document); });
  // A link in the error summary moves focus to its field, not only the scroll position.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (field) {
      event.preventDefault();
      field.focus();
      field.scrollIntoView({ block: "center" });
    }
  });
  // A meeting form's weekend/holiday override shows when the typed date needs it (the calendar's
  // warning is in the form's live region), when it is ticked or refused; without JS it always shows.
  function overrideFields(root) {
    (root || document).querySelectorAll("[data-override-fields]").forEach(function (group) {
      var form = group.closest("form");
      var warned = form && form.querySelector("[data-day-note] [data-non-business-day]");
      var ticked = group.querySelector("input[type=checkbox]:checked");
      var refused = group.querySelector(".is-invalid");
      group.hidden = !(warned || ticked || refused);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { overrideFields(document); });
  document.addEventListener("htmx:afterSettle", function () { overrideFields(document); });
  // An htmx response with an error status still carries a useful fragment (a form with its
  // validation messages, a refusal with its reason): let htmx swap it in.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 403 || status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
// The queue's "select all" box (data-select-all="<name>"): checks or clears every row box of its form.
document.addEventListener("change", function (event) {
  var all = event.target.closest && event.target.closest("[data-select-all]");
  if (!all || !all.form) return;
  all.form.querySelectorAll("input[type=checkbox][name='" + all.getAttribute("data-select-all") + "']").forEach(function (box) {
    box.checked = all.checked;
  });
});
