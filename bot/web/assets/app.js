// AnNing web chat. Plain ES5 for old Android WebViews and WeChat's
// browser: no modules, no arrow functions, no fetch (XMLHttpRequest).
// Without this script the page works with plain form posts.
(function () {
  "use strict";
  var root = document.documentElement;
  root.className += " js";
  var log, note, n, csrf, busy = false, polling = null, errors = 0;

  function scrollEnd() { window.scrollTo(0, document.body.scrollHeight); }

  function setNote(text) { note.textContent = text || ""; }

  // apply adds the messages of an update the page does not show yet.
  function apply(u) {
    if (u.error) { setNote(u.error); }
    if (u.html) {
      var box = document.createElement("div");
      box.innerHTML = u.html; // rendered and escaped by the server's template
      var kids = box.children, add = [];
      for (var i = 0; i < kids.length; i++) {
        var at = parseInt(kids[i].getAttribute("data-i"), 10);
        if (u.erased || isNaN(at) || at >= n) { add.push(kids[i]); }
      }
      if (u.erased) { log.innerHTML = ""; }
      for (var j = 0; j < add.length; j++) { log.appendChild(add[j]); }
      markOld();
      if (add.length) { scrollEnd(); }
    }
    if (typeof u.n === "number" && u.n > n) { n = u.n; }
    if (u.erased) { erased(); }
  }

  // Only the last question's choices are shown; older ones hide.
  function markOld() {
    var forms = log.querySelectorAll("form.ch");
    for (var i = 0; i < forms.length - 1; i++) {
      if (forms[i].className.indexOf(" old") < 0) { forms[i].className += " old"; }
    }
  }

  function erased() {
    if (polling) { clearInterval(polling); }
    var f = document.getElementsByTagName("footer")[0];
    if (f) { f.innerHTML = ""; var a = document.createElement("a"); a.className = "button"; a.href = "/"; a.textContent = log.getAttribute("data-restart"); f.appendChild(a); }
    var nav = document.getElementsByTagName("nav")[0];
    if (nav) { nav.innerHTML = ""; }
    csrf = "";
  }

  function send(url, body, done) {
    var x = new XMLHttpRequest();
    x.open("POST", url, true);
    x.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    x.setRequestHeader("X-CSRF-Token", csrf);
    x.onreadystatechange = function () {
      if (x.readyState !== 4) { return; }
      var u = null;
      try { u = JSON.parse(x.responseText); } catch (e) { u = null; }
      done(u, x.status);
    };
    x.send(body);
  }

  // submit posts a form in the background, one post at a time in the
  // order made (a button pressed while the last message is still on its
  // way waits its turn); on a network failure the form is posted the
  // plain way.
  var queue = [];
  function submit(form, extra) {
    if (!csrf) { return; }
    var data = new FormData(form);
    if (extra) { data.append(extra.name, extra.value); }
    var typed = "";
    if (form.id === "say") { typed = document.getElementById("text").value; document.getElementById("text").value = ""; }
    queue.push({ form: form, data: data, typed: typed });
    if (!busy) { next(); }
  }

  function restore(typed) {
    var box = document.getElementById("text");
    if (typed && box && box.value === "") { box.value = typed; }
  }

  function next() {
    var job = queue.shift();
    if (!job) { return; }
    var form = job.form, url = form.getAttribute("action");
    if (!job.tries) { job.data.append("n", String(n)); } // a retry keeps the first: older WebViews cannot remove a field
    if (form.id === "up") { url += "?n=" + n; }
    busy = true;
    setNote(log.getAttribute("data-sending"));
    send(url, job.data, function (u, status) {
      if (status === 429 && u && !u.html && (job.tries || 0) < 5) {
        // Too fast for the server (taps in quick succession): the same post
        // again in a moment, still before the ones made after it.
        job.tries = (job.tries || 0) + 1;
        if (u.error) { setNote(u.error); }
        queue.unshift(job);
        setTimeout(next, 700 * job.tries);
        return;
      }
      busy = false;
      setNote("");
      if (!u || (u.error && job.typed)) { restore(job.typed); } // what was typed is not lost
      if (!u) {
        queue = [];
        if (status === 0) { setNote(log.getAttribute("data-offline")); } else { form.submit(); }
        return;
      }
      if (form.id === "up") { form.reset(); }
      apply(u);
      next();
    });
  }

  function onSubmit(e) {
    var form = e.target;
    if (!form || form.tagName !== "FORM" || (form.className.indexOf("js") < 0 && form.id !== "up")) { return; }
    e.preventDefault();
    var b = document.activeElement, extra = null;
    if (b && b.tagName === "BUTTON" && b.name && b.form === form) { extra = { name: b.name, value: b.value }; }
    submit(form, extra);
  }

  // Buttons: remember which one was pressed (older WebViews lack
  // SubmitEvent.submitter and do not focus buttons on tap).
  function onClick(e) {
    var b = e.target;
    while (b && b.tagName !== "BUTTON") { b = b.parentNode; }
    if (!b || !b.form || !b.name || b.form.className.indexOf("js") < 0) { return; }
    e.preventDefault();
    submit(b.form, { name: b.name, value: b.value });
  }

  // A file chosen (album or camera) is sent at once.
  function onPick(e) {
    var input = e.target;
    if (input.files && input.files.length) { submit(document.getElementById("up")); }
  }

  function poll() {
    var x = new XMLHttpRequest();
    x.open("GET", "/log?n=" + n, true);
    x.onreadystatechange = function () {
      if (x.readyState !== 4 || x.status !== 200) { return; }
      try { apply(JSON.parse(x.responseText)); } catch (e) { /* next time */ }
    };
    x.send(null);
  }

  function listen() {
    if (!window.EventSource) { polling = setInterval(poll, 3000); return; }
    var es = new EventSource("/events?n=" + n);
    es.onmessage = function (e) {
      errors = 0;
      try { apply(JSON.parse(e.data)); } catch (err) { /* ignore */ }
    };
    es.onerror = function () {
      errors++;
      if (errors >= 3) { es.close(); polling = setInterval(poll, 3000); } // a proxy that buffers streams
    };
  }

  function start() {
    log = document.getElementById("log");
    note = document.getElementById("note");
    if (!log || !note) { return; }
    n = parseInt(log.getAttribute("data-n"), 10) || 0;
    csrf = log.getAttribute("data-csrf") || "";
    markOld();
    scrollEnd();
    if (!csrf) { return; } // the page after erasure
    document.addEventListener("submit", onSubmit, false);
    document.addEventListener("click", onClick, false);
    var pickers = [document.getElementById("files"), document.getElementById("camera")];
    for (var i = 0; i < pickers.length; i++) {
      if (pickers[i]) { pickers[i].addEventListener("change", onPick, false); }
    }
    var text = document.getElementById("text");
    if (text) {
      text.addEventListener("keydown", function (e) {
        if (e.keyCode === 13 && !e.shiftKey && !e.isComposing) { // 229 while an IME composes
          e.preventDefault();
          submit(document.getElementById("say"));
        }
      }, false);
    }
    listen();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start, false);
  } else {
    start();
  }
})();
