// Small progressive enhancements only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // "Print or save as PDF" on the weekly summary; without JavaScript the browser's own
  // print command does the same.
  var printers = document.querySelectorAll("[data-print]");
  for (var k = 0; k < printers.length; k++) {
    printers[k].addEventListener("click", function () { window.print(); });
  }

  // desk (issue 24): type-ahead over a long list of unit checkboxes. Typing narrows the
  // list; Enter ticks the only match left (and never sends the form by accident).
  var finders = document.querySelectorAll("[data-typeahead]");
  for (var f = 0; f < finders.length; f++) {
    (function (box) {
      var list = document.getElementById(box.getAttribute("data-typeahead"));
      var input = box.querySelector("input");
      var count = box.querySelector("[role=status]");
      if (!list || !input) { return; }
      box.hidden = false;
      var choices = list.querySelectorAll(".choice");
      function shown() {
        var q = input.value.trim().toLowerCase(), left = [];
        for (var c = 0; c < choices.length; c++) {
          var hit = !q || choices[c].textContent.toLowerCase().indexOf(q) >= 0;
          choices[c].hidden = !hit;
          if (hit) { left.push(choices[c]); }
        }
        if (count) { count.textContent = q ? String(left.length) + " / " + choices.length : ""; }
        return left;
      }
      input.addEventListener("input", shown);
      input.addEventListener("keydown", function (e) {
        if (e.key !== "Enter") { return; }
        e.preventDefault();
        var left = shown();
        if (left.length === 1) { left[0].querySelector("input").checked = true; }
      });
    })(finders[f]);
  }

  // After a rejected form, move focus to the summary of what to fix, so keyboard and
  // screen-reader users hear it first.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  // "Use my location" on the request form: fills latitude and longitude from the phone's
  // position. Without JavaScript (or permission) people type them, or leave them empty.
  var locate = document.getElementById("use-location");
  var lat = document.getElementById("f-latitude");
  var lon = document.getElementById("f-longitude");
  var status = document.getElementById("location-status");
  if (locate && lat && lon && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      if (status) { status.textContent = locate.getAttribute("data-busy"); }
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lon.value = pos.coords.longitude.toFixed(6);
        if (status) { status.textContent = lat.value + ", " + lon.value; }
        // the request form's map (map.js) moves its point there
        document.dispatchEvent(new CustomEvent("kp:located"));
      }, function () {
        if (status) { status.textContent = locate.getAttribute("data-failed"); }
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  // The request form: a service's questions appear as soon as it is chosen, from the
  // <template> the page carries for each service; answers typed for a service come back when
  // it is chosen again. Without JavaScript the "show the questions" button sends the form back.
  var service = document.getElementById("f-service_code");
  var slot = document.getElementById("questions-slot");
  var shownFor = document.getElementById("f-questions_for");
  if (service && slot && shownFor) {
    var kept = {};
    var templates = document.querySelectorAll("template[data-questions]");
    var templateFor = function (code) {
      for (var t = 0; t < templates.length; t++) {
        if (templates[t].getAttribute("data-questions") === code) { return templates[t]; }
      }
      return null;
    };
    var showQuestions = function () {
      var code = service.value;
      var now = slot.querySelector("fieldset.questions");
      if (now) {
        kept[now.getAttribute("data-service")] = now;
        slot.removeChild(now);
      }
      var next = kept[code] || null;
      var template = templateFor(code);
      if (!next && template) {
        next = template.content.querySelector("fieldset.questions").cloneNode(true);
      }
      if (next) { slot.appendChild(next); }
      shownFor.value = next ? code : "";
      // the service's kind, unless the resident chose one already
      if (template && !document.querySelector("input[name=kind]:checked")) {
        var kind = document.getElementById("kind-" + template.getAttribute("data-kind"));
        if (kind) { kind.checked = true; }
      }
    };
    service.addEventListener("change", showQuestions);
    var button = document.getElementById("show-questions");
    if (button) { button.hidden = true; }
  }

  // Choosing a kecamatan narrows the desa/kelurahan list to its villages.
  var district = document.getElementById("f-district_code");
  var village = document.getElementById("f-village_code");
  if (district && village) {
    var narrow = function () {
      var chosen = district.options[district.selectedIndex];
      var name = chosen && chosen.value ? chosen.text : "";
      var groups = village.getElementsByTagName("optgroup");
      for (var i = 0; i < groups.length; i++) {
        var show = !name || groups[i].label === name;
        groups[i].hidden = !show;
        groups[i].disabled = !show;
      }
      var sel = village.options[village.selectedIndex];
      if (sel && sel.parentNode.disabled) { village.value = ""; }
    };
    district.addEventListener("change", narrow);
    narrow();
  }

  // Response templates: a click copies a template into the response box.
  var response = document.getElementById("f-response");
  var bodies = document.querySelectorAll(".template-body");
  if (response) {
    for (var j = 0; j < bodies.length; j++) {
      bodies[j].tabIndex = 0;
      bodies[j].setAttribute("role", "button");
      var use = function (el) { return function () { response.value = el.textContent; response.focus(); }; }(bodies[j]);
      bodies[j].addEventListener("click", use);
      bodies[j].addEventListener("keydown", function (u) { return function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); u(); } }; }(use));
    }
  }

  // The staff queue: "select all", and keyboard shortcuts (listed on the page in
  // #shortcuts) so an officer works through it without the mouse. Keys are ignored while
  // typing in a field or with a modifier held.
  var queue = document.querySelector("table.queue");
  var all = document.getElementById("sel-all");
  var boxes = queue ? queue.querySelectorAll("tbody input[type=checkbox]") : [];
  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      for (var b = 0; b < boxes.length; b++) { boxes[b].checked = all.checked; }
    });
  }
  var rows = queue ? queue.querySelectorAll("tbody tr") : [];
  var current = -1;
  function goTo(n) {
    if (!rows.length) { return; }
    current = Math.max(0, Math.min(rows.length - 1, n));
    for (var r = 0; r < rows.length; r++) { rows[r].classList.toggle("current", r === current); }
    var link = rows[current].querySelector("a");
    if (link) { link.focus(); }
  }
  function choose(action) {
    var select = document.getElementById("f-bulk-action");
    if (!select) { return; }
    select.value = action;
    var target = action === "dispatch" ? document.getElementById("f-bulk-unit") : select.form.querySelector("button[type=submit]");
    if (target) { target.focus(); }
  }
  var next = document.getElementById("next-request");
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
    var k = e.key;
    if (next && k === "n") { e.preventDefault(); next.click(); return; }
    if (!queue) { return; }
    if (k === "j") { e.preventDefault(); goTo(current + 1); }
    else if (k === "k") { e.preventDefault(); goTo(current - 1); }
    else if (k === "o" && current >= 0) { e.preventDefault(); rows[current].querySelector("a").click(); }
    else if (k === "x" && current >= 0) {
      e.preventDefault();
      var box = rows[current].querySelector("input[type=checkbox]");
      if (box) { box.checked = !box.checked; }
    }
    else if (k === "v") { e.preventDefault(); choose("verify"); }
    else if (k === "d") { e.preventDefault(); choose("dispatch"); }
    else if (k === "s") { e.preventDefault(); choose("start"); }
    else if (k === "/") {
      var q = document.getElementById("f-q");
      if (q) {
        e.preventDefault();
        var fold = q.closest("details");
        if (fold) { fold.open = true; }
        q.focus();
      }
    }
    else if (k === "?") {
      var help = document.getElementById("shortcuts");
      if (help) { e.preventDefault(); help.open = true; help.querySelector("summary").focus(); }
    }
  });
});
