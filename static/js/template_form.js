// Shows the fields of the chosen channel (moved out of templates/campaigns/template_form.html for the CSP).
(function () {
  var select = document.getElementById("id_channel");
  function sync() {
    document.querySelectorAll("[data-channel]").forEach(function (el) { el.hidden = el.dataset.channel !== select.value; });
  }
  select.addEventListener("change", sync); sync();
})();
