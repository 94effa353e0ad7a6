// Live preview for the console's letter forms. The forms work without this
// script: their Preview button asks the server for the same rendering. With
// it, the preview below the form follows the body as staff type, rendered by
// the server with the letters' own sanitising.
(function () {
  "use strict";

  var form = document.querySelector("form[data-preview]");
  var region = document.getElementById("letter-preview");
  if (!form || !region || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var body = form.elements.body;
  var timer = null;
  var sent = 0;

  function update() {
    var data = new URLSearchParams();
    data.set("csrf", form.elements.csrf.value);
    data.set("body", body.value);
    var n = ++sent;
    fetch(form.getAttribute("data-preview"), { method: "POST", body: data, credentials: "same-origin" })
      .then(function (res) {
        // 422 carries the message saying why the body cannot be shown.
        return res.ok || res.status === 422 ? res.text() : null;
      })
      .then(function (html) {
        if (html !== null && n === sent) {
          region.innerHTML = html;
        }
      })
      .catch(function () {
        // The Preview button still works; nothing to tell.
      });
  }

  body.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 300);
  });
})();
