// Document upload with drag and drop and a progress bar (slow village connections).
// Without JavaScript the form is a plain multipart POST; nothing here is required.
(function () {
  "use strict";
  var form = document.querySelector("form.js-evidence-upload");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var input = form.querySelector("input[type=file]");
  var zone = form.querySelector(".js-dropzone");
  var progress = form.querySelector(".js-progress");
  var bar = form.querySelector(".js-progress-bar");
  var errors = form.querySelector(".js-upload-errors");
  var button = form.querySelector("button[type=submit]");

  if (zone && input && window.DataTransfer) {
    zone.classList.remove("d-none");
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("border-primary", "bg-light");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.remove("border-primary", "bg-light");
      });
    });
    zone.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) {
        var transfer = new DataTransfer();
        transfer.items.add(event.dataTransfer.files[0]);
        input.files = transfer.files;
        zone.textContent = event.dataTransfer.files[0].name;
      }
    });
  }

  function showErrors(messages) {
    errors.textContent = messages.join(" ");
    errors.classList.remove("d-none");
  }

  function setProgress(percent) {
    bar.style.width = percent + "%";  // CSSOM, allowed by the CSP (no inline style attribute)
    bar.setAttribute("aria-valuenow", String(percent));
    bar.textContent = percent + "%";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    errors.classList.add("d-none");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { setProgress(Math.round((e.loaded / e.total) * 100)); }
    });
    xhr.addEventListener("load", function () {
      button.disabled = false;
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (ignore) { data = null; }
      if (xhr.status === 200 && data && data.ok) {
        window.location.assign(data.redirect);
        return;
      }
      progress.classList.add("d-none");
      var messages = [];
      if (data && data.errors) {
        Object.keys(data.errors).forEach(function (key) { messages = messages.concat(data.errors[key]); });
      } else {
        messages.push(form.getAttribute("data-error") || ("HTTP " + xhr.status));
      }
      showErrors(messages);
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      progress.classList.add("d-none");
      showErrors([form.getAttribute("data-network-error") || "Network error"]);
    });
    button.disabled = true;
    progress.classList.remove("d-none");
    setProgress(0);
    xhr.send(new FormData(form));
  });
})();
