// The help form's safety check: while the resident describes what is happening, the
// server's triage rules look for danger to life and the page says at once, in large type,
// to call 120 / 110 (and the crisis hotline). The words are posted, never put in a URL.
(function () {
  var form = document.querySelector("form[data-advice]");
  if (!form) return;
  var box = document.getElementById("advice");
  var text = document.getElementById("description");
  var category = document.getElementById("category");
  var token = form.querySelector("input[name=_csrf]");
  var timer = null;
  var last = "";
  function show(lines, notice) {
    box.textContent = "";
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.className = "urgent-line";
      p.textContent = line;
      box.appendChild(p);
    });
    if (lines.length) {
      var n = document.createElement("p");
      n.textContent = notice;
      box.appendChild(n);
    }
    box.hidden = lines.length === 0;
  }
  function check() {
    var body = new URLSearchParams();
    body.set("description", text.value);
    body.set("category", category ? category.value : "");
    var key = body.toString();
    if (key === last) return;
    last = key;
    fetch(form.getAttribute("data-advice"), {
      method: "POST",
      headers: { "X-CSRF-Token": token ? token.value : "", "Content-Type": "application/x-www-form-urlencoded" },
      body: key,
      credentials: "same-origin"
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) { if (v) show(v.urgent || [], v.notice || ""); })
      .catch(function () {});
  }
  function later() { clearTimeout(timer); timer = setTimeout(check, 500); }
  text.addEventListener("input", later);
  if (category) category.addEventListener("change", later);
  if (text.value) check();
})();
