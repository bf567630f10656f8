// Progressive enhancement only: every page works without this file.
(function () {
  // After a failed submission, move focus to the error summary so that it is read out first.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }

  // A link in an error summary goes to its field. The browser alone would scroll the input to the top of the
  // window, leaving its label, hint and error message (which sit above it) out of sight: show the whole field
  // instead, then put the focus in the input.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    var input = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!input) {
      return;
    }
    event.preventDefault();
    (input.closest(".field") || input).scrollIntoView();
    input.focus({ preventScroll: true });
  });
})();
