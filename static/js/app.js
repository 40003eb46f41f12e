// Facteur's pages work without JavaScript. This file only adds comfort: actions in place,
// live updates pushed by the server (SSE), selection helpers and keyboard shortcuts.
(function () {
  "use strict";

  // Tell the server the local time zone so dates read right: its name (Europe/Paris), which
  // carries the changes to and from summer time, and today's offset (minutes east of UTC)
  // for a name the server does not know.
  function remember(name, value) {
    if (("; " + document.cookie + ";").indexOf("; " + name + "=" + value + ";") === -1) {
      document.cookie = name + "=" + value + "; path=/; max-age=31536000; samesite=lax";
    }
  }
  remember("facteur_tz", -new Date().getTimezoneOffset());
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    zone = "";
  }
  if (/^[A-Za-z0-9\/_+-]{1,64}$/.test(zone)) {
    remember("facteur_zone", zone);
  }

  // A page still at work (an import) asks for itself again every two seconds and shows its
  // new state in place, until it is done.
  (function poll() {
    var working = document.querySelector("[data-working]");
    if (!working) return;
    setTimeout(function () {
      fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); }).then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").querySelector("#content > section");
        if (!next) { location.reload(); return; }
        // Unchanged, it stays (a status read out again for nothing helps nobody).
        if (next.outerHTML !== working.outerHTML) working.replaceWith(document.adoptNode(next));
        poll();
      }).catch(poll);
    }, 2000);
  })();

  // "Sending… Undo": once the wait is over, the notice says how the send went.
  function watchOutbox() {
    var form = document.querySelector("form[data-outbox]");
    if (!form || form.dataset.watched) return;
    form.dataset.watched = "1";
    var id = form.getAttribute("data-outbox"), tries = 0;
    function again(ms) { if (++tries < 90) setTimeout(ask, ms); }
    function ask() {
      fetch("/outbox/" + encodeURIComponent(id), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.state === "waiting" || s.state === "sending") { again(s.state === "waiting" && s.left_ms > 0 ? s.left_ms + 300 : 1000); return; }
          var span = form.parentNode && form.parentNode.querySelector("span");
          if (span) span.textContent = s.text;
          form.remove();
        }).catch(function () { again(2000); });
    }
    setTimeout(ask, Number(form.getAttribute("data-left") || 0) + 300);
  }
  watchOutbox();

  // Pages of every kind (Settings too): the mailto: offer, the service worker, notifications.
  // Settings: offer to open mailto: links in Facteur.
  var mailto = document.querySelector("[data-register-mailto]");
  if (mailto && navigator.registerProtocolHandler) {
    mailto.hidden = false;
    mailto.addEventListener("click", function () {
      try { navigator.registerProtocolHandler("mailto", location.origin + "/compose?mailto=%s"); } catch (e) { mailto.disabled = true; }
    });
  }

  // The service worker: an offline page, and notifications where the user turns them on.
  var worker = ("serviceWorker" in navigator) ? navigator.serviceWorker.register("/sw.js").catch(function () { return null; }) : null;

  // Settings: new-mail notifications on this device.
  var push = document.querySelector(".push-settings");
  if (push) setUpPush(push);

  function setUpPush(box) {
    var state = box.querySelector(".push-state");
    var on = box.querySelector(".push-on"), off = box.querySelector(".push-off");
    var preview = box.querySelector("#push-preview");
    function say(key) { state.textContent = box.dataset[key] || ""; }
    if (!worker || !("PushManager" in window) || !("Notification" in window)) { say("unsupported"); return; }
    function tell(op, sub) {
      var json = sub.toJSON();
      var form = new URLSearchParams({ csrf: box.dataset.csrf, op: op, endpoint: json.endpoint,
        p256dh: (json.keys && json.keys.p256dh) || "", auth: (json.keys && json.keys.auth) || "", preview: preview.checked ? "1" : "0" });
      return fetch("/settings/notifications", { method: "POST", body: form, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("refused"); });
    }
    function show(sub) {
      on.hidden = !!sub; off.hidden = !sub;
      say(sub ? "on" : (Notification.permission === "denied" ? "denied" : "off"));
    }
    // Off until the browser says otherwise (it may take a while to answer, or never where its
    // push service is out of reach).
    show(null);
    worker.then(function (reg) { return reg ? reg.pushManager.getSubscription() : null; }).then(show, function () { say("unsupported"); });
    on.addEventListener("click", function () {
      Notification.requestPermission().then(function (p) {
        if (p !== "granted") { show(null); return; }
        return navigator.serviceWorker.ready
          .then(function (reg) { return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromB64(box.dataset.pushKey) }); })
          .then(function (sub) { return tell("on", sub).then(function () { show(sub); }); });
      }).catch(function () { say("failed"); });
    });
    off.addEventListener("click", function () {
      navigator.serviceWorker.ready.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
        if (!sub) { show(null); return; }
        return tell("off", sub).then(function () { return sub.unsubscribe(); }).then(function () { show(null); });
      }).catch(function () { say("failed"); });
    });
    preview.addEventListener("change", function () {
      navigator.serviceWorker.ready.then(function (reg) { return reg.pushManager.getSubscription(); })
        .then(function (sub) { if (sub) return tell("on", sub); }).catch(function () { say("failed"); });
    });
  }

  // Passkeys and security keys: added in Settings → Security, used at the second step, and to
  // confirm what needs a fresh second step there. The server's options carry binary fields in
  // base64url; the browser wants bytes, and back.
  var webauthn = !!(window.PublicKeyCredential && navigator.credentials);
  // Base64url to bytes (also the push service's key, above).
  function fromB64(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(b64 + "===".slice((b64.length + 3) % 4));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function toB64(buffer) {
    if (!buffer) return null;
    var b = new Uint8Array(buffer), s = "";
    for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  // A JSON request with the page's token; a refusal throws what the server says to the user.
  function postJson(url, token, data) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": token },
      body: JSON.stringify(data || {}) }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { if (!r.ok) throw new Error(j.say || ""); return j; });
    });
  }
  // A key's answer to the ceremony whose options `url` gives, as the server reads it.
  function keyAnswer(url, token) {
    return postJson(url, token).then(function (o) {
      var k = o.publicKey;
      k.challenge = fromB64(k.challenge);
      (k.allowCredentials || []).forEach(function (c) { c.id = fromB64(c.id); });
      return navigator.credentials.get({ publicKey: k });
    }).then(function (c) {
      return { id: c.id, rawId: toB64(c.rawId), type: c.type, extensions: c.getClientExtensionResults(),
        response: { authenticatorData: toB64(c.response.authenticatorData), clientDataJSON: toB64(c.response.clientDataJSON),
          signature: toB64(c.response.signature), userHandle: toB64(c.response.userHandle) } };
    });
  }
  // `proof`: a fresh code or key answer, from someone who has a second step already.
  function newKey(token, proof) {
    return postJson("/settings/security/passkeys/start", token, proof).then(function (o) {
      var k = o.publicKey;
      k.challenge = fromB64(k.challenge);
      k.user.id = fromB64(k.user.id);
      (k.excludeCredentials || []).forEach(function (c) { c.id = fromB64(c.id); });
      // Chromium refuses a protection policy that requires user verification next to a
      // "preferred" verification (NotSupportedError); the server does not need it.
      if (k.extensions) { delete k.extensions.credentialProtectionPolicy; delete k.extensions.enforceCredentialProtectionPolicy; }
      return navigator.credentials.create({ publicKey: k });
    }).then(function (c) {
      return { id: c.id, rawId: toB64(c.rawId), type: c.type, extensions: c.getClientExtensionResults(),
        response: { attestationObject: toB64(c.response.attestationObject), clientDataJSON: toB64(c.response.clientDataJSON) } };
    });
  }
  // What a user who has a second step shows before adding a key: the code typed in the add
  // box, or, left empty, one of their keys' answers.
  function proofOfStep(token) {
    var code = document.getElementById("passkey-code");
    if (!code) return Promise.resolve({});
    if (code.value.trim() || !addKey.dataset.keys) return Promise.resolve({ code: code.value.trim() });
    return keyAnswer("/settings/security/passkeys/confirm", token).then(function (c) { return { assertion: JSON.stringify(c) }; });
  }
  var addKey = document.querySelector(".passkey-add");
  if (addKey) setUpKeys(addKey, "register");
  var useKey = document.querySelector(".passkey-step");
  if (useKey) setUpKeys(useKey, "sign-in");

  function setUpKeys(box, mode) {
    var button = box.querySelector(mode === "register" ? ".passkey-register" : ".passkey-sign-in");
    var state = box.querySelector(".passkey-state");
    if (!webauthn) return;
    state.textContent = "";
    button.hidden = false;
    var token = box.dataset.csrf;
    function failed(e) { state.textContent = (e && e.message) || box.dataset.failed || ""; button.disabled = false; }
    button.addEventListener("click", function () {
      button.disabled = true;
      state.textContent = "";
      var done = mode === "register"
        ? proofOfStep(token).then(function (p) { return newKey(token, p); }).then(function (credential) {
          var name = document.getElementById("passkey-name");
          return postJson("/settings/security/passkeys/finish", token, { name: name ? name.value : "", credential: credential });
        })
        : keyAnswer("/login/verify/passkey/start", token).then(function (credential) {
          return postJson("/login/verify/passkey/finish", token, { next: box.dataset.next, credential: credential });
        });
      done.then(function (r) { location.href = r.next; }, failed);
    });
  }

  // A form that needs a fresh second step takes a code, or, left empty, a key's answer.
  Array.prototype.forEach.call(webauthn ? document.querySelectorAll("form.fresh-step") : [], function (form) {
    var code = form.querySelector("input[name=code]");
    var answer = form.querySelector("input[name=assertion]");
    var state = form.querySelector(".fresh-state");
    var hint = document.getElementById((code.getAttribute("aria-describedby") || "").split(" ")[0]);
    if (hint) hint.hidden = false;
    code.required = false;
    // A page brought back by the back button keeps no answer of an earlier ceremony.
    window.addEventListener("pageshow", function () { answer.value = ""; });
    form.addEventListener("submit", function (e) {
      if (code.value.trim() || answer.value) return;
      e.preventDefault();
      var via = e.submitter;
      state.textContent = "";
      keyAnswer("/settings/security/passkeys/confirm", form.querySelector("input[name=csrf]").value).then(function (credential) {
        answer.value = JSON.stringify(credential);
        if (form.requestSubmit) { form.requestSubmit(via); return; }
        // Older browsers: the button's choice as a field, then a plain submit.
        if (via && via.name) {
          var choice = document.createElement("input");
          choice.type = "hidden"; choice.name = via.name; choice.value = via.value;
          form.appendChild(choice);
        }
        form.submit();
      }, function (err) { state.textContent = (err && err.message) || form.dataset.failed || ""; });
    });
  });

  var body = document.body;
  if (!body || !body.classList.contains("app")) return;
  body.classList.add("js");
  // A row's checkbox: "uid" in a folder, "m" (folder and UID) among search results.
  var BOX = "li.row input[type=checkbox]";

  // ------------------------------------------------------------ swapping pages in place

  function selectedUids() {
    return Array.prototype.map.call(document.querySelectorAll(BOX + ":checked"), function (c) { return c.value; });
  }

  function restoreSelection(uids) {
    uids.forEach(function (u) {
      var c = document.querySelector("li.row input[type=checkbox][value='" + u + "']");
      if (c) c.checked = true;
    });
    syncSelectAll();
  }

  var cursorUid = null;

  // Replaces the main content, the sidebar and the title with those of `html` (a page of ours).
  // A live refresh keeps the notice on screen (its Undo stays reachable).
  function swap(html, url, push, live) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var next = doc.getElementById("content");
    var cur = document.getElementById("content");
    if (!next || !cur || !doc.body.classList.contains("app")) { location.href = url; return; }
    var keep = selectedUids();
    var notice = document.getElementById("notice");
    if (live && notice && !next.querySelector("#notice")) next.insertBefore(notice, next.firstChild);
    cur.replaceWith(document.adoptNode(next));
    var side = doc.querySelector("nav.sidebar"), curSide = document.querySelector("nav.sidebar");
    if (side && curSide) curSide.replaceWith(document.adoptNode(side));
    document.title = doc.title;
    body.className = doc.body.className + " js";
    ["folder", "events", "unread"].forEach(function (k) { if (doc.body.dataset[k] !== undefined) body.dataset[k] = doc.body.dataset[k]; });
    // The notice id in the URL is for this one display only.
    if (url) url = url.replace(/([?&])n=[^&#]*&?/, "$1").replace(/[?&]$/, "");
    if (url && url !== location.href) {
      if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
    }
    restoreSelection(keep);
    placeCursor();
    showUnread(Number(body.dataset.unread || 0));
    rememberMessage();
    watchOutbox();
  }

  function load(url, options, push, live) {
    options = options || {};
    options.credentials = "same-origin";
    return fetch(url, options).then(function (r) {
      if (/\/login(\?|$)/.test(new URL(r.url).pathname + "?")) { location.href = r.url; return; }
      return r.text().then(function (t) { swap(t, r.url, push, live); });
    }).catch(function () { if (options.method === "POST") location.reload(); });
  }

  var refreshTimer = null;
  function refreshSoon() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () { refreshTimer = null; load(location.href, null, false, true); }, 120);
  }

  // Every POST form (actions, undo) runs in place; the server answers with the page to show.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    // getAttribute: form.action and form.method are shadowed by fields named "action".
    if (!form || (form.getAttribute("method") || "").toLowerCase() !== "post" || form.hasAttribute("data-reload")) return;
    var button = e.submitter;
    // A download (the selection as mbox) is a plain GET the browser saves.
    if (button && (button.getAttribute("formmethod") || "").toLowerCase() === "get") return;
    var confirmText = button && button.getAttribute("data-confirm");
    if (confirmText && !window.confirm(confirmText)) { e.preventDefault(); return; }
    e.preventDefault();
    var data = new FormData(form);
    if (button && button.name) data.append(button.name, button.value);
    if (confirmText) data.append("confirmed", "1");
    var here = location.pathname;
    load(new URL(form.getAttribute("action"), location.href).href, { method: "POST", body: new URLSearchParams(data) }).then(function () {
      if (location.pathname !== here) history.replaceState(null, "", location.href);
    });
  });

  // The sort menu applies on change. A new key takes its usual direction (the server's
  // choice: newest or largest first, names A to Z), so the direction is not sent with it.
  document.addEventListener("change", function (e) {
    var select = e.target;
    if (!select.matches || !select.matches("select[data-autosubmit]") || !select.form) return;
    var params = new URLSearchParams();
    params.set(select.name, select.value);
    if (select.name === "order") {
      var key = document.querySelector("select[name=sort][form='" + select.form.id + "']");
      if (key) params.set("sort", key.value);
    }
    load(select.form.getAttribute("action") + "?" + params.toString(), null, true);
  });

  // The search box suggests recent searches and contacts as one types (a datalist, filled
  // from /search/suggest).
  var searchBox = document.getElementById("search-q");
  var suggestions = document.getElementById("search-suggestions");
  if (searchBox && suggestions) {
    var suggestTimer = null, suggestSeq = 0;
    var suggest = function () {
      var mine = ++suggestSeq;
      fetch("/search/suggest?q=" + encodeURIComponent(searchBox.value), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (list) {
          if (mine !== suggestSeq) return;
          suggestions.replaceChildren.apply(suggestions, list.map(function (s) {
            var o = document.createElement("option");
            o.value = s.q;
            if (s.label !== s.q) o.label = s.label;
            return o;
          }));
        })
        .catch(function () {});
    };
    searchBox.addEventListener("input", function () { clearTimeout(suggestTimer); suggestTimer = setTimeout(suggest, 120); });
    searchBox.addEventListener("focus", suggest);
  }

  // ------------------------------------------------------------ selection

  function syncSelectAll() {
    var all = document.getElementById("select-all");
    if (!all) return;
    var boxes = document.querySelectorAll(BOX);
    var on = document.querySelectorAll(BOX + ":checked").length;
    all.checked = boxes.length > 0 && on === boxes.length;
    all.indeterminate = on > 0 && on < boxes.length;
    body.classList.toggle("has-selection", on > 0);
    // The whole page selected: offer the whole folder; anything less takes that back.
    var banner = document.getElementById("select-folder");
    if (banner) {
      if (!all.checked) selectFolder(false);
      banner.hidden = !all.checked;
    }
  }

  // "Select all N in this folder": the form then says so (scope=folder) and the server finds
  // the messages; the page never sends their UIDs.
  function selectFolder(on) {
    var banner = document.getElementById("select-folder");
    var form = document.getElementById("list-form");
    if (!banner || !form) return;
    var scope = form.querySelector("input[name=scope]");
    if (on === !!scope) return;
    if (on) {
      scope = document.createElement("input");
      scope.type = "hidden"; scope.name = "scope"; scope.value = "folder";
      form.appendChild(scope);
    } else if (scope) {
      scope.remove();
    }
    var text = banner.querySelector("span"), link = banner.querySelector("a");
    if (text) text.textContent = on ? banner.dataset.selectedFolder : banner.dataset.selectedPage;
    if (link) link.hidden = on;
  }

  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("#select-folder a");
    if (!a) return;
    e.preventDefault();
    if (a.hasAttribute("data-clear-selection")) {
      Array.prototype.forEach.call(document.querySelectorAll(BOX), function (c) { c.checked = false; });
      syncSelectAll();
    } else {
      selectFolder(true);
    }
  });

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.id === "select-all") {
      Array.prototype.forEach.call(document.querySelectorAll(BOX), function (c) { c.checked = t.checked; });
    }
    if (t.id === "select-all" || t.name === "uid" || t.name === "m") syncSelectAll();
  });

  // ------------------------------------------------------------ live updates

  function updateCounts(d) {
    (d.folders || []).forEach(function (f) {
      var a = document.querySelector("nav.sidebar a[data-folder='" + CSS.escape(f.href) + "']");
      if (!a) return;
      var badge = a.querySelector(".badge");
      var li = a.parentNode;
      if (f.unread > 0) {
        if (!badge) { badge = document.createElement("span"); badge.className = "badge"; a.appendChild(badge); }
        badge.textContent = String(f.unread);
        badge.title = f.label;
        li.classList.add("has-unread");
      } else {
        if (badge) badge.remove();
        li.classList.remove("has-unread");
      }
    });
    if (typeof d.unread === "number") showUnread(d.unread);
  }

  // The tab shows the unread count of its folder: "(3) " before the page's own title, and
  // drawn on its icon.
  var iconImage = null, iconShown = -1;
  function showUnread(n) {
    var own = document.title.replace(/^\(\d+\) /, "");
    document.title = n > 0 ? "(" + n + ") " + own : own;
    body.dataset.unread = String(n);
    var link = document.querySelector("link[rel=icon]");
    if (!link || n === iconShown) return;
    iconShown = n;
    if (n === 0) { link.href = "/favicon.svg"; return; }
    var draw = function () {
      var c = document.createElement("canvas");
      c.width = c.height = 64;
      var g = c.getContext("2d");
      if (!g) return;
      g.drawImage(iconImage, 0, 0, 64, 64);
      var text = n > 99 ? "99+" : String(n);
      g.font = "bold " + (text.length > 2 ? 26 : 34) + "px sans-serif";
      var w = Math.max(36, g.measureText(text).width + 14);
      g.fillStyle = "#c5221f";
      g.beginPath();
      g.roundRect(64 - w, 26, w, 38, 19);
      g.fill();
      g.fillStyle = "#fff";
      g.textAlign = "center";
      g.textBaseline = "middle";
      g.fillText(text, 64 - w / 2, 46);
      if (iconShown === n) link.href = c.toDataURL("image/png");
    };
    if (iconImage && iconImage.complete) { draw(); return; }
    iconImage = new Image();
    iconImage.onload = draw;
    iconImage.src = "/favicon.svg";
  }

  function onList() { return !!document.getElementById("list-form"); }

  var source = null;
  function listen() {
    if (!body.dataset.events || !window.EventSource || source) return;
    source = new EventSource(body.dataset.events);
    source.addEventListener("counts", function (e) { updateCounts(JSON.parse(e.data)); });
    source.addEventListener("changed", function (e) {
      var d = JSON.parse(e.data);
      if (onList() && d.folder === body.dataset.folder) refreshSoon();
    });
    source.addEventListener("resync", function () { if (onList()) refreshSoon(); });
    source.addEventListener("gone", function () { location.href = "/login?reason=ended"; });
  }
  listen();
  // A page left (or kept in the back-forward cache) lets its stream go: over plain HTTP/1.1 a
  // browser opens six connections per site, and lingering streams would hold the next page.
  window.addEventListener("pagehide", function () { if (source) { source.close(); source = null; } });
  window.addEventListener("pageshow", function (e) { if (e.persisted) { listen(); refreshSoon(); } });

  // ------------------------------------------------------------ keyboard shortcuts

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("li.row")); }

  // After an action takes the row under the cursor away, the cursor goes to the row that
  // followed it (as in Gmail); back from a message, to that message.
  var cursorNext = null;
  function rememberMessage() {
    try {
      if (document.querySelector("article.message")) sessionStorage.setItem("facteur-cursor", location.pathname.split("/").pop());
    } catch (e) { /* storage refused: the list's cursor starts at the top */ }
  }
  rememberMessage();
  try {
    if (rows().length) { cursorUid = sessionStorage.getItem("facteur-cursor") || cursorUid; sessionStorage.removeItem("facteur-cursor"); }
  } catch (e) { /* as above */ }

  // With the shortcuts on, a row is one stop for Tab (its link): x selects and s stars the
  // row under the cursor, which follows the focus. Without them, every control stays a stop.
  function oneStopPerRow() {
    if (body.dataset.shortcuts !== "on") return;
    Array.prototype.forEach.call(document.querySelectorAll("li.row > input[type=checkbox], li.row > .star-toggle"), function (el) {
      el.setAttribute("tabindex", "-1");
    });
  }
  document.addEventListener("focusin", function (e) {
    var open = e.target.closest && e.target.closest("li.row a.open");
    if (!open) return;
    var r = open.closest("li.row");
    if (r && r.dataset.uid !== cursorUid) { cursorUid = r.dataset.uid; placeCursor(); }
  });

  function placeCursor() {
    oneStopPerRow();
    var list = rows();
    list.forEach(function (r) { r.classList.remove("cursor"); });
    if (!list.length) return;
    var byUid = function (u) { return list.filter(function (x) { return x.dataset.uid === u; })[0]; };
    var r = byUid(cursorUid) || byUid(cursorNext) || list[0];
    cursorNext = null;
    cursorUid = r.dataset.uid;
    r.classList.add("cursor");
  }

  function moveCursor(step) {
    var list = rows();
    if (!list.length) return;
    var i = list.findIndex(function (x) { return x.dataset.uid === cursorUid; });
    i = Math.max(0, Math.min(list.length - 1, (i < 0 ? 0 : i + step)));
    cursorUid = list[i].dataset.uid;
    placeCursor();
    list[i].scrollIntoView({ block: "nearest" });
    // Focus follows, so that Tab and Enter go on from there.
    var link = list[i].querySelector("a.open");
    if (link && document.activeElement && document.activeElement.closest && document.activeElement.closest("li.row")) link.focus({ preventScroll: true });
  }

  function cursorRow() { return document.querySelector("li.row.cursor"); }

  // Runs a toolbar action on the selection (or the row under the cursor) or on the open message.
  function act(action) {
    var button = document.querySelector("button[name=action][value='" + action + "']");
    var form = button ? button.form : null;
    if (!form) return;
    if (form.id === "list-form" && selectedUids().length === 0) {
      var r = cursorRow();
      if (!r) return;
      var box = r.querySelector(BOX);
      if (box) box.checked = true;
      var after = r.nextElementSibling || r.previousElementSibling;
      cursorNext = after ? after.dataset.uid : null;
    }
    form.requestSubmit(button);
  }

  var gPending = false;
  document.addEventListener("keydown", function (e) {
    if (body.dataset.shortcuts !== "on" || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var k = e.key;
    // Enter on a focused link or button keeps its usual meaning.
    if (k === "Enter" && t && /^(A|BUTTON)$/.test(t.tagName)) return;
    var help = document.getElementById("shortcuts");
    if (gPending) {
      gPending = false;
      var role = { i: "inbox", s: "sent", d: "drafts", t: "trash" }[k];
      var link = role && document.querySelector("nav.sidebar li.icon-" + role + " a");
      if (link) { location.href = link.href; e.preventDefault(); }
      return;
    }
    var row = cursorRow();
    var step = document.querySelector("a[data-key='" + k + "']");
    switch (k) {
      // In a list, the cursor moves; on a message, the next or previous message opens.
      case "j": if (rows().length) moveCursor(1); else if (step) location.href = step.href; else return; break;
      case "k": if (rows().length) moveCursor(-1); else if (step) location.href = step.href; else return; break;
      case "o": case "Enter":
        if (row) location.href = row.querySelector("a.open").href; else return;
        break;
      case "u": var back = document.querySelector("a.back"); if (back) location.href = back.href; else return; break;
      case "x":
        if (!row) return;
        var box = row.querySelector(BOX);
        box.checked = !box.checked; syncSelectAll(); break;
      case "s":
        var starred = document.querySelector("article.message") ? body.classList.contains("is-flagged") : row && row.classList.contains("flagged");
        act(starred ? "unstar" : "star"); break;
      case "e": act("archive"); break;
      case "#": act("delete"); break;
      case "!": act("spam"); break;
      case "I": act("read"); break;
      case "U": act("unread"); break;
      case "c": case "r": case "a": case "f":
        if (document.getElementById("compose")) return;
        var target = document.querySelector("[data-key='" + k + "']");
        if (target) location.href = target.href; else return;
        break;
      case "v": case "b":
        // In a list with nothing selected, the menu acts on the message under the cursor.
        if (row && selectedUids().length === 0) { row.querySelector(BOX).checked = true; syncSelectAll(); }
        var menu = document.querySelector(k === "v" ? "details.move-menu" : "details.snooze-menu");
        if (!menu || !menu.offsetParent) return;
        menu.open = true;
        var first = menu.querySelector(".menu-item");
        if (first) first.focus();
        break;
      case "g": gPending = true; setTimeout(function () { gPending = false; }, 1500); break;
      case "/": var q = document.getElementById("search-q"); if (q) { q.focus(); q.select(); } else return; break;
      case "?": if (help && help.showModal) { if (help.open) help.close(); else help.showModal(); } break;
      case "Escape": if (help && help.open) help.close(); else if (!closeMenus()) return; break;
      default: return;
    }
    e.preventDefault();
  });

  // ------------------------------------------------------------ menus and the phone drawer

  // Toolbar menus (<details>) close on a click elsewhere and on Escape, as menus do.
  function closeMenus(except) {
    var closed = false;
    Array.prototype.forEach.call(document.querySelectorAll("details.menu[open]"), function (d) {
      if (d !== except) { d.open = false; closed = true; }
    });
    return closed;
  }
  document.addEventListener("click", function (e) {
    closeMenus(e.target.closest ? e.target.closest("details.menu") : null);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var open = document.querySelector("details.menu[open]");
    if (!open) return;
    open.open = false;
    var s = open.querySelector("summary");
    if (s) s.focus();
  });

  // The phone's folder drawer: without JavaScript a link to the folders (#folders, shown by
  // :target); with it, a button that opens and closes it in place, closed by Escape or a tap
  // on the backdrop.
  var navButton = document.querySelector(".nav-button");
  var drawer = document.getElementById("folders");
  function setDrawer(open) {
    body.classList.toggle("drawer-open", open);
    if (navButton) navButton.setAttribute("aria-expanded", open ? "true" : "false");
    if (open && drawer) { var a = drawer.querySelector("a"); if (a) a.focus(); }
  }
  if (navButton && drawer) {
    navButton.setAttribute("role", "button");
    navButton.setAttribute("aria-expanded", "false");
    navButton.addEventListener("click", function (e) { e.preventDefault(); setDrawer(!body.classList.contains("drawer-open")); });
    navButton.addEventListener("keydown", function (e) { if (e.key === " ") { e.preventDefault(); setDrawer(!body.classList.contains("drawer-open")); } });
    var backdrop = document.querySelector(".backdrop");
    if (backdrop) backdrop.addEventListener("click", function (e) { e.preventDefault(); setDrawer(false); navButton.focus(); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && body.classList.contains("drawer-open")) { setDrawer(false); navButton.focus(); }
    });
  }

  // A message body's frame says how tall its content is (its only message); the frame is
  // given that height, so the page scrolls, not the frame.
  window.addEventListener("message", function (e) {
    var h = e.data && e.data.facteurHeight;
    if (typeof h !== "number" || !isFinite(h)) return;
    Array.prototype.forEach.call(document.querySelectorAll("iframe.body-frame"), function (f) {
      if (f.contentWindow !== e.source) return;
      // The frame's own border adds to its content's height.
      f.style.height = Math.min(Math.max(Math.ceil(h), 40), 50000) + (f.offsetHeight - f.clientHeight) + "px";
      f.classList.add("sized");
    });
  });

  placeCursor();
  syncSelectAll();
  showUnread(Number(body.dataset.unread || 0));
})();
