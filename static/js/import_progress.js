// The import page's live progress (moved out of templates/audiences/import_detail.html for the CSP).
(function () {
  var box = document.getElementById("import-progress");
  var url = box.dataset.statusUrl;
  // The server-rendered width (no inline style: the Content-Security-Policy forbids it).
  document.getElementById("imp-fill").style.width = document.getElementById("imp-bar").getAttribute("aria-valuenow") + "%";
  function set(id, v) { var el = document.getElementById(id); if (el) el.textContent = (v === null || v === undefined) ? "–" : v; }
  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        document.getElementById("imp-fill").style.width = s.percent + "%";
        document.getElementById("imp-bar").setAttribute("aria-valuenow", s.percent);
        set("imp-percent", s.percent); set("imp-rows", s.rows_done); set("imp-total", s.rows_total);
        set("imp-rate", s.rows_per_s); set("imp-eta", s.eta_s);
        ["records", "created", "updated", "rejected", "blank", "warnings", "removed"].forEach(function (k) { set("imp-" + k, s[k]); });
        var st = document.getElementById("imp-status");
        st.textContent = s.status_label; st.className = "aud-status aud-" + s.status;
        box.dataset.status = s.status;
        if (s.error_code) { var e = document.getElementById("imp-error"); e.hidden = false; e.textContent = s.error_code + " " + s.error_message; }
        if (s.final) { var c = document.getElementById("imp-cancel"); if (c) c.remove(); box.dataset.final = "1"; }
        else { setTimeout(poll, 500); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
