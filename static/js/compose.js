// Writing mail: autosave to Drafts, rich text, attachments, address suggestions. Loaded by the
// compose page only, after app.js; the form works without it.
(function () {
  "use strict";

  var compose = document.getElementById("compose");
  if (compose) setupCompose(compose);

  function setupCompose(form) {
    var field = function (n) { return form.querySelector("[name='" + n + "']"); };
    var status = form.querySelector(".autosave");
    var textarea = field("body"), editor = form.querySelector(".editor"), bar = form.querySelector(".editor-bar");
    var toggle = form.querySelector("[data-rich-toggle]");
    var dirty = false, saving = null, timer = null, submitting = false;

    function rich() { return field("rich").value === "1"; }
    function syncEditor() {
      if (rich()) { field("html").value = editor.innerHTML; textarea.value = editor.innerText; }
      else field("html").value = "";
    }
    function setRich(on, init) {
      if (init) {
        // Starts as text; the HTML field is only filled from the editor, at save or send.
      } else if (on) {
        editor.textContent = "";
        textarea.value.split("\n").forEach(function (line, i) {
          if (i) editor.appendChild(document.createElement("br"));
          editor.appendChild(document.createTextNode(line));
        });
      } else {
        textarea.value = editor.innerText;
      }
      field("rich").value = on ? "1" : "0";
      editor.hidden = !on; textarea.hidden = on;
      toggle.textContent = on ? toggle.dataset.off : toggle.dataset.on;
      bar.querySelectorAll("[data-cmd]").forEach(function (b) { b.hidden = !on; });
    }
    bar.hidden = false;
    setRich(false, true);
    // Where one starts writing: the recipients if there are none yet, else the text's top.
    if (!field("to").value.trim()) field("to").focus();
    else if (!form.querySelector("[aria-invalid]")) { textarea.focus(); textarea.setSelectionRange(0, 0); textarea.scrollTop = 0; }
    toggle.addEventListener("click", function () { setRich(!rich()); changed(); });
    bar.addEventListener("click", function (e) {
      var b = e.target.closest("[data-cmd]");
      if (!b) return;
      var arg = b.dataset.arg || null;
      if (b.dataset.prompt) {
        arg = prompt(b.dataset.prompt, "https://");
        if (!arg || !/^(https?:|mailto:)/i.test(arg)) return;
      }
      editor.focus();
      document.execCommand(b.dataset.cmd, false, arg);
      changed();
    });
    // Only text comes in by pasting: foreign HTML never enters this page.
    editor.addEventListener("paste", function (e) {
      e.preventDefault();
      document.execCommand("insertText", false, (e.clipboardData || window.clipboardData).getData("text/plain"));
    });
    editor.addEventListener("drop", function (e) { e.preventDefault(); });

    function formData(op) {
      syncEditor();
      var data = new FormData(form);
      data.delete("attachments");
      data.set("op", op);
      return data;
    }
    function save() {
      if (saving || submitting) { if (!submitting) schedule(); return saving; }
      dirty = false;
      saving = fetch("/compose", { method: "POST", body: formData("save"), headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, d: d }; }); })
        .then(function (x) {
          if (x.ok && x.d.saved) {
            field("replaces").value = x.d.replaces || "";
            status.textContent = status.dataset.saved;
          } else { status.textContent = (x.d && x.d.message) || status.dataset.failed; dirty = true; }
        })
        .catch(function () { status.textContent = status.dataset.failed; dirty = true; })
        .then(function () { saving = null; });
      return saving;
    }
    function schedule() { clearTimeout(timer); timer = setTimeout(save, 3000); }
    function changed() { dirty = true; schedule(); }
    form.addEventListener("input", function (e) { if (e.target.type !== "file") changed(); });
    form.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && e.target.tagName === "INPUT" && e.target.type === "text") e.preventDefault();
    });
    form.addEventListener("change", function (e) { if (e.target.tagName === "SELECT") changed(); });

    form.addEventListener("submit", function (e) {
      clearTimeout(timer);
      var submitter = e.submitter;
      if (saving) {
        // Let the autosave land first, so the form names the draft version to replace.
        e.preventDefault();
        saving.then(function () { form.requestSubmit(submitter); });
        return;
      }
      syncEditor();
      submitting = true;
      if (submitter && submitter.value === "send") {
        if (submitter.dataset.busy) { e.preventDefault(); return; }
        submitter.dataset.busy = "1";
      }
    });
    window.addEventListener("pagehide", function () {
      if (dirty && !submitting && navigator.sendBeacon) navigator.sendBeacon("/compose", formData("save"));
    });

    // Files are sent as soon as they are chosen; the list comes back.
    var input = field("attachments"), list = form.querySelector(".upload-list");
    var fieldset = list.parentNode, rowTemplate = document.getElementById("upload-row");
    form.querySelector(".attach-button").hidden = true;
    input.addEventListener("change", function () {
      if (!input.files.length) return;
      var data = formData("attach");
      Array.prototype.forEach.call(input.files, function (f) { data.append("attachments", f, f.name); });
      input.disabled = true;
      fetch("/compose", { method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (d) {
          list.textContent = "";
          (d.attachments || []).forEach(function (a) {
            // A copy of the row the page renders for each file (see the compose template).
            var li = rowTemplate.content.firstElementChild.cloneNode(true);
            li.querySelector(".att-name").textContent = a.name;
            li.querySelector(".muted").textContent = a.size;
            var rm = li.querySelector("button");
            rm.value += a.id;
            rm.setAttribute("aria-label", rm.getAttribute("aria-label") + a.name);
            list.appendChild(li);
          });
          var err = fieldset.querySelector(".field-error");
          if (d.error) {
            if (!err) { err = document.createElement("p"); err.className = "field-error"; err.setAttribute("role", "alert"); fieldset.insertBefore(err, list); }
            err.textContent = d.error;
          } else if (err) err.remove();
          fieldset.classList.toggle("invalid", !!d.error);
          changed();
        })
        .catch(function () { location.reload(); })
        .then(function () { input.value = ""; input.disabled = false; });
    });

    // Address suggestions from the contacts.
    form.querySelectorAll("[data-suggest]").forEach(function (inp) {
      var box = document.createElement("ul");
      box.className = "suggest"; box.setAttribute("role", "listbox"); box.hidden = true;
      inp.parentNode.appendChild(box);
      var items = [], active = -1, seq = 0;
      function current() { var parts = inp.value.split(/[,;]/); return parts[parts.length - 1].trim(); }
      function pick(i) {
        var parts = inp.value.split(/([,;])/);
        parts[parts.length - 1] = (parts.length > 1 ? " " : "") + items[i].text;
        inp.value = parts.join("") + ", ";
        box.hidden = true; items = []; inp.focus(); changed();
      }
      function show() {
        box.textContent = "";
        items.forEach(function (it, i) {
          var li = document.createElement("li");
          li.setAttribute("role", "option"); li.textContent = it.text;
          if (i === active) li.className = "active";
          li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
          box.appendChild(li);
        });
        box.hidden = items.length === 0;
      }
      inp.addEventListener("input", function () {
        var q = current(), mine = ++seq;
        if (q.length < 1) { items = []; show(); return; }
        fetch("/contacts/suggest?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (d) { if (mine === seq) { items = d; active = -1; show(); } })
          .catch(function () {});
      });
      inp.addEventListener("keydown", function (e) {
        if (!box.hidden && items.length) {
          if (e.key === "ArrowDown") { active = (active + 1) % items.length; show(); e.preventDefault(); return; }
          if (e.key === "ArrowUp") { active = (active + items.length - 1) % items.length; show(); e.preventDefault(); return; }
          if ((e.key === "Enter" || e.key === "Tab") && active >= 0) { pick(active); e.preventDefault(); return; }
          if (e.key === "Escape") { box.hidden = true; return; }
        }
        if (e.key === "Enter") e.preventDefault();
      });
      inp.addEventListener("blur", function () { setTimeout(function () { box.hidden = true; }, 150); });
    });
  }
})();
