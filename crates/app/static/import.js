// Live progress of a registry import: polls the job's status and moves the progress bar;
// when the job stops running, loads the page again (it then shows the report or the result).
(function () {
  'use strict';
  var box = document.querySelector('[data-import-status]');
  if (!box) return;
  var url = box.getAttribute('data-import-status');
  var page = box.getAttribute('data-import-page');
  var bar = document.getElementById('import-bar');
  var label = document.getElementById('import-label');
  var count = document.getElementById('import-count');
  function poll() {
    fetch(url, { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(function (s) {
      if (!s.running) { window.location.replace(page); return; }
      bar.max = Math.max(s.total, 1);
      bar.value = Math.min(s.done, bar.max);
      count.textContent = s.done + ' / ' + s.total;
      if (label.textContent !== s.label) label.textContent = s.label;
      setTimeout(poll, 500);
    }).catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 300);
})();
