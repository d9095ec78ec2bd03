// goldset web app: a few lines of plain JS for partial updates (no framework, no CDN).
// Never builds HTML from strings: fragments come rendered (and escaped) by the server, are
// parsed by DOMParser (scripts in them never run) and replace the elements with their ids;
// messages are set with textContent.
"use strict";
(function () {
  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }

  // Replace each element of the page whose id a [data-swap] element of the fragment has.
  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var done = [];
    doc.querySelectorAll("[data-swap][id]").forEach(function (node) {
      var target = document.getElementById(node.id);
      if (target) {
        var fresh = document.importNode(node, true);
        target.replaceWith(fresh);
        done.push(fresh);
      }
    });
    return {nodes: done, doc: doc};
  }

  function say(form, text) {
    var out = form.querySelector("[data-status]") || document.getElementById("flash");
    if (out) { out.textContent = text; }
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-fragment")) { return; }
    ev.preventDefault();
    if (form.dataset.busy) { return; }
    form.dataset.busy = "1";
    var body = new URLSearchParams(new FormData(form, ev.submitter || null));
    fetch(form.getAttribute("action") || location.pathname, {method: "POST", body: body, credentials: "same-origin",
                        headers: {"X-CSRF-Token": csrf()}})
      .then(function (resp) {
        return resp.text().then(function (text) {
          var result = swap(text);
          if (!result.nodes.length) {
            var err = result.doc.querySelector(".error");
            say(form, (err ? err.textContent : "") || ("The server answered " + resp.status));
          }
          document.dispatchEvent(new CustomEvent("goldset:swapped", {detail: {nodes: result.nodes, ok: resp.ok}}));
        });
      })
      .catch(function (e) { say(form, "Could not reach the server: " + e.message); })
      .finally(function () { delete form.dataset.busy; });
  });

  // Bulk tagging: how many rows are ticked; "select the page"; ticking a row picks "the rows ticked".
  function countSelected() {
    var out = document.getElementById("selected-count");
    if (out) { out.textContent = String(document.querySelectorAll('input[name="ids"][form="bulk"]:checked').length); }
  }
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (!(t instanceof HTMLInputElement)) { return; }
    if (t.id === "select-page") {
      document.querySelectorAll('input[name="ids"][form="bulk"]').forEach(function (b) { b.checked = t.checked; });
    }
    if (t.id === "select-page" || (t.name === "ids" && t.getAttribute("form") === "bulk")) {
      var radio = document.querySelector('#bulk input[name="target"][value="selected"]');
      if (radio && t.checked) { radio.checked = true; }
      countSelected();
    }
  });
  document.addEventListener("goldset:swapped", countSelected);

  // Review queue: j/k move, a approves, r rejects the current item.
  var queue = document.querySelector("[data-queue]");
  if (!queue) { return; }
  var current = 0;
  function items() { return Array.prototype.slice.call(queue.querySelectorAll("[data-queue-item]")); }
  function pending(el) { return !el.hasAttribute("data-done"); }
  function mark(i) {
    var all = items();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(i, all.length - 1));
    all.forEach(function (el, k) {
      el.classList.toggle("current", k === current);
      if (k === current) { el.setAttribute("aria-current", "true"); } else { el.removeAttribute("aria-current"); }
    });
    all[current].scrollIntoView({block: "nearest"});
  }
  function step(dir) {
    var all = items();
    for (var i = current + dir; i >= 0 && i < all.length; i += dir) {
      if (pending(all[i])) { mark(i); return; }
    }
  }
  function act(action) {
    var el = items()[current];
    if (!el || !pending(el)) { return; }
    var button = el.querySelector('button[name="action"][value="' + action + '"]');
    if (button && !button.disabled) { button.click(); }
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var t = ev.target;
    if (t instanceof HTMLElement && t.closest("input, textarea, select, [contenteditable]")) {
      if (ev.key === "Enter" && t.classList.contains("note")) { ev.preventDefault(); }  // never approve by Enter
      return;
    }
    if (ev.key === "j") { step(1); } else if (ev.key === "k") { step(-1); }
    else if (ev.key === "a") { act("approve"); } else if (ev.key === "r") { act("reject"); }
    else { return; }
    ev.preventDefault();
  });
  queue.addEventListener("click", function (ev) {  // clicking an item makes it current
    var el = ev.target instanceof Element ? ev.target.closest("[data-queue-item]") : null;
    if (el) { var i = items().indexOf(el); if (i !== current) { mark(i); } }
  });
  document.addEventListener("goldset:swapped", function (ev) {
    var all = items();
    var moved = ev.detail.nodes.some(function (n) { return n.hasAttribute("data-queue-item") && n.hasAttribute("data-done"); });
    if (moved && all[current] && !pending(all[current])) {
      for (var i = current + 1; i < all.length; i++) { if (pending(all[i])) { mark(i); return; } }
      for (var k = 0; k < all.length; k++) { if (pending(all[k])) { mark(k); return; } }
    }
    mark(current);
  });
  mark(0);
})();
