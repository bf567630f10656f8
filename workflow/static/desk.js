// Progressive enhancement only: every page works without this file.
(function () {
  // After a failed submission, move focus to the error summary so that it is read out first.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
