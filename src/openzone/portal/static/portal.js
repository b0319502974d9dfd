// The portal's only script: Ctrl+Enter runs the SQL editor; a page with live status (a running query or
// data source run) reloads itself when the work ends.
(function () {
  var sql = document.getElementById("sql");
  if (sql) {
    sql.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        document.getElementById("editor").requestSubmit();
      }
    });
  }
  var live = document.getElementById("live");
  if (live) {
    var poll = function () {
      fetch(live.dataset.statusUrl, {credentials: "same-origin"})
        .then(function (answer) { return answer.json(); })
        .then(function (body) {
          if (body.state === "QUEUED" || body.state === "RUNNING") { setTimeout(poll, 400); }
          else { window.location.reload(); }
        })
        .catch(function () { setTimeout(poll, 2000); });
    };
    setTimeout(poll, 300);
  }
})();
