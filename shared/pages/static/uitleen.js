// Small progressive enhancement; every page works without it.
(function () {
  "use strict";
  // A form sent once: the button says so and cannot be pressed again (the server is idempotent anyway).
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        window.setTimeout(function () { button.disabled = true; button.setAttribute("aria-busy", "true"); }, 0);
      });
    });
  });
  // After an error, move the focus to the summary so a screen reader reads it first.
  var summary = document.getElementById("fouten");
  if (summary) { summary.focus(); }
  // Questions that only matter for one choice (e.g. the city's van) are hidden until that choice is made.
  document.querySelectorAll("[data-when]").forEach(function (block) {
    var parts = block.getAttribute("data-when").split("=");
    var radios = document.querySelectorAll("input[name='" + parts[0] + "']");
    function update() {
      var chosen = document.querySelector("input[name='" + parts[0] + "']:checked");
      block.hidden = !(chosen && chosen.value === parts[1]);
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  });
})();
