// Live regions over Server-Sent Events. Any element with an id, data-live-src="<SSE url>" and
// data-live-refresh="<page url>" listens to the stream; on every event (unnamed, or named
// `changed`) and every (re)connect (events may have been missed meanwhile) it fetches the page
// and takes the inner HTML of the element with the same id there; forms outside keep their
// typed text. An element data-live-status="<that id>" with data-on / data-off / data-updated
// texts shows "live", "connection lost" and "updated"; give it role="status".
(function () {
  'use strict';
  function start(el) {
    var src = el.getAttribute('data-live-src');
    var url = el.getAttribute('data-live-refresh');
    var status = document.querySelector('[data-live-status="' + el.id + '"]');
    var busy = false, again = false, down = null;
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
        if (!fresh || fresh.innerHTML === el.innerHTML) return;
        var f = document.activeElement, fid = f && el.contains(f) ? f.id : '';
        el.innerHTML = fresh.innerHTML;
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
(function () {
  var els = document.querySelectorAll('[data-deadline]');
  if (!els.length) return;
  function tick() {
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
