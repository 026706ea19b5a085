// Behaviour every page shares, without inline handlers (the Content-Security-Policy forbids them):
//   <select data-autosubmit>          submits its form when changed
//   <form data-confirm="question">    asks before submitting
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) el.form.submit();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
