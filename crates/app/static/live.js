// Live regions over Server-Sent Events. Any element with an id, data-live-src="<SSE url>" and
// data-live-refresh="<page url>" listens to the stream; on every event (unnamed, or named
// `changed`) and every (re)connect (events may have been missed meanwhile) it fetches the page
// and takes the inner HTML of the element with the same id there; forms outside keep their
// typed text, and so do fields with an id inside that are still there (and open <details>
// with an id stay open). An element data-live-status="<that id>" with data-on / data-off / data-updated
// texts shows "live", "connection lost" and "updated"; give it role="status".
(function () {
  'use strict';
  function start(el) {
    var src = el.getAttribute('data-live-src');
    var url = el.getAttribute('data-live-refresh');
    var status = document.querySelector('[data-live-status="' + el.id + '"]');
    var busy = false, again = false, down = null, last = el.innerHTML;
    function say(key) {
      var t = status && status.getAttribute(key);
      if (!t) return;
      status.textContent = '';
      setTimeout(function () { status.textContent = t; }, 50); // heard again if repeated
      status.className = status.className.replace(/ ?live-(on|off)/g, '') +
        (key === 'data-off' ? ' live-off' : ' live-on');
    }
    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      fetch(url, { credentials: 'same-origin' }).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.text();
      }).then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById(el.id);
        // Compared with what the server sent last time (scripts may have changed the page).
        if (!fresh || fresh.innerHTML === last || fresh.innerHTML === el.innerHTML) return;
        last = fresh.innerHTML;
        var f = document.activeElement, fid = f && el.contains(f) ? f.id : '';
        var typed = {}, open = {}, i, n;
        var fields = el.querySelectorAll('input[id], textarea[id]');
        for (i = 0; i < fields.length; i++) {
          if (fields[i].type !== 'hidden' && fields[i].value !== fields[i].defaultValue) typed[fields[i].id] = fields[i].value;
        }
        var shut = el.querySelectorAll('details[id]');
        for (i = 0; i < shut.length; i++) open[shut[i].id] = shut[i].open;
        el.innerHTML = fresh.innerHTML;
        for (var k in typed) { n = document.getElementById(k); if (n && el.contains(n)) n.value = typed[k]; }
        for (var d in open) { n = document.getElementById(d); if (n && el.contains(n)) n.open = open[d]; }
        if (fid && document.getElementById(fid)) document.getElementById(fid).focus();
        say('data-updated');
      }).catch(function () { say('data-off'); }).then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
    }
    var es = new EventSource(src);
    es.onopen = function () {
      clearTimeout(down);
      if (!status || !status.textContent || /live-off/.test(status.className)) say('data-on');
      refresh();
    };
    es.onmessage = refresh;
    es.addEventListener('changed', refresh);
    // Streams end now and then and reconnect at once: only a lasting break is reported.
    es.onerror = function () { clearTimeout(down); down = setTimeout(function () { say('data-off'); }, 4000); };
  }
  if (!window.EventSource || !window.fetch || !window.DOMParser) return;
  var all = document.querySelectorAll('[id][data-live-src][data-live-refresh]');
  for (var i = 0; i < all.length; i++) start(all[i]);
})();

// Countdowns: an element data-deadline="<ms since epoch>" data-label="…" data-over="…"
// shows the minutes and seconds left, then data-over.
// Looked up on every tick: live regions bring new ones.
(function () {
  if (!document.querySelector('[data-live-src]') && !document.querySelector('[data-deadline]')) return;
  function tick() {
    var els = document.querySelectorAll('[data-deadline]');
    var now = Date.now();
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var left = Math.floor((Number(el.getAttribute('data-deadline')) - now) / 1000);
      if (left <= 0) { el.textContent = el.getAttribute('data-over'); continue; }
      var m = Math.floor(left / 60), s = left % 60;
      el.textContent = el.getAttribute('data-label') + ' ' + m + ':' + (s < 10 ? '0' : '') + s;
    }
  }
  tick();
  setInterval(tick, 1000);
})();
