// Small progressive enhancements only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // After a rejected form, move focus to the summary of what to fix, so keyboard and
  // screen-reader users hear it first.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});
