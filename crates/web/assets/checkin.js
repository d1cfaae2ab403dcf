// Check-in at the venue: where the browser can read QR codes (BarcodeDetector), the trainer
// may scan a participant's code with the phone's camera; it fills the code field and sends
// the form. Without this (or without a camera) the code is typed: the page works the same.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("scanner");
  var form = document.getElementById("checkin-form");
  var field = document.getElementById("f-code");
  if (!box || !form || !field || !("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
  var toggle = document.getElementById("scan-toggle");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var stream = null;
  var detector = null;
  try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { return; }
  box.hidden = false;
  var stop = function () {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.hidden = true;
    toggle.textContent = box.getAttribute("data-start");
  };
  var scan = function () {
    if (!stream) { return; }
    detector.detect(video).then(function (codes) {
      if (codes.length > 0 && codes[0].rawValue) {
        field.value = codes[0].rawValue;
        stop();
        form.submit();
        return;
      }
      window.requestAnimationFrame(scan);
    }).catch(function () { window.requestAnimationFrame(scan); });
  };
  toggle.addEventListener("click", function () {
    if (stream) { stop(); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      toggle.textContent = box.getAttribute("data-stop");
      video.play().then(scan);
    }).catch(function () { status.textContent = box.getAttribute("data-failed"); });
  });
});
