// Reports without a connection. On the request form (/lapor), a form sent while the phone is
// offline is kept in this browser (IndexedDB: its fields and photos) and sent by itself when
// the connection returns, from whichever page of the site is open; several can wait. Each
// draft carries a key made here (`form_key`), which the server files at most once, so a
// draft sent again after a lost answer is not filed twice. Without JavaScript, none of this
// exists and the form is sent the ordinary way.
(function () {
  if (!window.indexedDB || !window.fetch || !window.FormData || !window.Promise) { return; }

  var form = document.getElementById("lapor-form");
  // The service worker keeps the form and its assets for opening offline (sw.js).
  if (form && navigator.serviceWorker) {
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
  }

  function open() {
    return new Promise(function (resolve, reject) {
      var r = indexedDB.open("kotapintar", 1);
      r.onupgradeneeded = function () { r.result.createObjectStore("drafts", { keyPath: "key" }); };
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }

  // Runs `work(store)` in one transaction; resolves with what its last request returned.
  function inStore(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction("drafts", mode);
        var req = work(t.objectStore("drafts"));
        t.oncomplete = function () { db.close(); resolve(req ? req.result : undefined); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }
  function all() { return inStore("readonly", function (s) { return s.getAll(); }); }
  function put(d) { return inStore("readwrite", function (s) { return s.put(d); }); }
  function remove(key) { return inStore("readwrite", function (s) { return s["delete"](key); }); }

  var box = document.getElementById("drafts");
  function say(name) { return box ? box.getAttribute("data-" + name) : ""; }

  // What waits, what was sent (with its follow-up link) and what needs the resident.
  function render() {
    if (!box) { return Promise.resolve(); }
    return all().then(function (drafts) {
      var list = document.getElementById("drafts-list");
      list.textContent = "";
      var waiting = 0;
      drafts.sort(function (a, b) { return a.saved - b.saved; });
      drafts.forEach(function (d) {
        var li = document.createElement("li");
        li.setAttribute("data-state", d.state);
        var title = document.createElement("strong");
        title.textContent = d.title || say("untitled");
        li.appendChild(title);
        li.appendChild(document.createTextNode(" "));
        if (d.state === "sent") {
          var a = document.createElement("a");
          a.href = d.url || "/laporan/" + d.code;
          a.textContent = say("sent") + " " + (d.code || "") + ": " + say("follow");
          a.addEventListener("click", function () { remove(d.key); });
          li.appendChild(a);
        } else if (d.state === "check") {
          li.appendChild(document.createTextNode(say("check") + " "));
          var b = document.createElement("button");
          b.type = "button";
          b.className = "secondary";
          b.textContent = say("open");
          b.addEventListener("click", function () { restore(d); });
          li.appendChild(b);
        } else {
          waiting += 1;
          li.appendChild(document.createTextNode(say("waiting")));
        }
        list.appendChild(li);
      });
      box.hidden = drafts.length === 0;
      document.getElementById("drafts-status").textContent =
        waiting ? say(navigator.onLine ? "sending" : "waiting") + " (" + waiting + ")" : "";
    });
  }

  // Keeps what the form holds now as a draft, and clears the form for the next one.
  function keep() {
    var data = new FormData(form);
    var fields = [];
    var files = [];
    data.forEach(function (v, k) {
      if (typeof v === "string") { fields.push([k, v]); }
      else if (v && v.size > 0) { files.push({ field: k, name: v.name, type: v.type, blob: v }); }
    });
    var draft = {
      key: data.get("form_key") || newKey(),
      title: data.get("title") || "",
      fields: fields,
      files: files,
      saved: Date.now(),
      state: "waiting"
    };
    return put(draft).then(function () {
      form.reset();
      document.getElementById("f-form_key").value = newKey();
      return render();
    }).then(function () {
      box.scrollIntoView();
    });
  }

  // A fresh CSRF token from the form itself: the one kept with a draft may be stale by now.
  function freshToken() {
    return fetch("/lapor", { credentials: "same-origin", cache: "no-store" })
      .then(function (res) { return res.text(); })
      .then(function (html) {
        var f = new DOMParser().parseFromString(html, "text/html").querySelector("input[name=_csrf]");
        return f ? f.value : null;
      });
  }

  function send(d, token) {
    var data = new FormData();
    d.fields.forEach(function (kv) {
      // similar requests cannot be offered to someone who is not looking: staff merge
      // duplicates, as they do for every channel
      if (kv[0] === "confirm_new") { return; }
      data.append(kv[0], kv[0] === "_csrf" && token ? token : kv[1]);
    });
    data.append("confirm_new", "1");
    d.files.forEach(function (f) { data.append(f.field, new File([f.blob], f.name, { type: f.type })); });
    return fetch("/lapor", { method: "POST", body: data, credentials: "same-origin" }).then(function (res) {
      var before = res.headers.get("x-kotapintar-filed");
      if (res.ok && (before || (res.redirected && res.url.indexOf("/ikuti/") > 0))) {
        var code = before || res.url.split("/")[4];
        // sent: only the follow-up link and the code stay, until the resident opens it
        return put({ key: d.key, title: d.title, saved: d.saved, state: "sent", code: code, url: before ? null : res.url, fields: [], files: [] });
      }
      if (res.status >= 500 || res.status === 429) { return null; } // the server, not the draft: later
      d.state = "check"; // the server asks for a correction: the resident opens it in the form
      return put(d);
    });
  }

  var busy = false;
  function flush() {
    if (busy || !navigator.onLine) { return; }
    busy = true;
    all().then(function (drafts) {
      var waiting = drafts.filter(function (d) { return d.state === "waiting"; });
      if (!waiting.length) { return null; }
      return render().then(freshToken).then(function (token) {
        return waiting.reduce(function (chain, d) {
          return chain.then(function () { return send(d, token); });
        }, Promise.resolve());
      });
    }).catch(function () {
      // still no connection, whatever the browser says: the next "online" tries again
    }).then(function () {
      busy = false;
      return render();
    });
  }

  // Puts a draft the server refused back into the form, photos included, to be corrected and
  // sent the ordinary way (the server then says what is wrong).
  function restore(d) {
    d.fields.forEach(function (kv) {
      // the page's own token and start time are fresh; a kept one may have run out
      if (kv[0] === "_csrf" || kv[0] === "started") { return; }
      var els = form.querySelectorAll("[name='" + kv[0].replace(/'/g, "") + "']");
      for (var i = 0; i < els.length; i++) {
        var el = els[i];
        if (el.type === "radio" || el.type === "checkbox") {
          if (el.value === kv[1]) { el.checked = true; }
        } else if (el.type !== "file") {
          el.value = kv[1];
        }
      }
    });
    var input = document.getElementById("f-photo-input");
    if (input && window.DataTransfer && d.files.length) {
      var dt = new DataTransfer();
      d.files.forEach(function (f) { dt.items.add(new File([f.blob], f.name, { type: f.type })); });
      input.files = dt.files;
    }
    var service = document.getElementById("f-service_code");
    if (service) { service.dispatchEvent(new Event("change")); }
    remove(d.key).then(render);
    form.scrollIntoView();
  }

  if (form) {
    document.getElementById("f-form_key").value = newKey();
    form.addEventListener("submit", function (e) {
      if (navigator.onLine) { return; } // sent the ordinary way
      e.preventDefault();
      keep().catch(function () {
        // the browser cannot keep it (private mode, storage full): send it the ordinary way
        form.submit();
      });
    });
  }
  window.addEventListener("online", flush);
  window.addEventListener("offline", render);
  document.addEventListener("DOMContentLoaded", function () { render().then(flush, flush); });
})();
