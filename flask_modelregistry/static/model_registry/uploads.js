/* Uploads from the pages. Each file goes in a request of its own, a raw PUT to the JSON API (so the
   server streams it to storage, and the browser reports progress); never one multipart form.
   On the Artifacts tab, files picked with "select" are sent on "Upload"; dropped files are sent at
   once. create-import.js uses the same machinery (window.ModelRegistryUploads) for new versions.
   Without these scripts both forms post to the server, which stores the files itself. */
(function () {
  "use strict";

  var root = document.getElementById("model-registry");
  if (!root) return;
  var csrfToken = root.getAttribute("data-csrf-token");
  var CONCURRENCY = 3;

  function formatSize(bytes) {
    var units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    var value = bytes;
    for (var i = 0; i < units.length; i++) {
      if (value < 1024 || i === units.length - 1) {
        if (i === 0) return bytes === 1 ? "1 byte" : bytes + " bytes";
        return value.toFixed(1) + " " + units[i];
      }
      value /= 1024;
    }
    return bytes + " bytes";
  }

  function encodePath(path) { return path.split("/").map(encodeURIComponent).join("/"); }

  /* A subfolder as the server will accept it, or an error message. */
  function checkSubfolder(value) {
    var folder = (value || "").trim().replace(/^\/+|\/+$/g, "");
    if (!folder) return { folder: "" };
    if (folder.indexOf("\\") !== -1) return { error: "Use / between folders, not \\." };
    var parts = folder.split("/");
    for (var i = 0; i < parts.length; i++) {
      if (parts[i] === "" || parts[i] === "." || parts[i] === "..") return { error: "Folders can't be empty, . or .." };
      if (parts[i] !== parts[i].trim()) return { error: "Folder names can't start or end with spaces." };
    }
    return { folder: folder };
  }

  function apiError(xhrOrText, status) {
    try {
      var body = JSON.parse(xhrOrText);
      if (body && body.error) return body.error;
    } catch (e) { /* not JSON */ }
    if (status === 413) return { message: "the file is larger than the limit" };
    return { message: status ? "the server answered " + status : "the connection failed" };
  }

  function setFieldError(form, name, message) {
    var field = form.querySelector("[data-mr-field='" + name + "']");
    var error = field ? field.querySelector(".mr-field-error") : form.querySelector("#" + name + "-error");
    var input = field ? field.querySelector("input, textarea, select") : null;
    if (field) field.classList.toggle("mr-field-invalid", !!message);
    if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
    if (error) { error.textContent = message || ""; error.hidden = !message; }
    return input;
  }

  /* -- one list of uploads, each with a progress bar, a status and a Cancel button ------------ */
  function UploadList(list) {
    this.list = list;
    this.maxSize = 0;
  }
  UploadList.prototype.add = function (file, path) {
    var li = document.createElement("li");
    li.setAttribute("data-upload-path", path);
    li.setAttribute("data-state", "waiting");
    var name = document.createElement("span");
    name.className = "mr-upload-name";
    name.textContent = path + " (" + formatSize(file.size) + ")";
    name.title = path;
    var progress = document.createElement("progress");
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute("aria-label", "Progress of " + path);
    var status = document.createElement("span");
    status.className = "mr-upload-status";
    status.textContent = "Waiting";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "mr-btn mr-btn-sm";
    cancel.textContent = "Cancel";
    cancel.setAttribute("aria-label", "Cancel " + path);
    li.append(name, progress, status, cancel);
    this.list.appendChild(li);
    this.list.hidden = false;
    return { file: file, path: path, li: li, progress: progress, status: status, cancel: cancel, xhr: null, canceled: false };
  };
  UploadList.prototype.finish = function (item, state, text) {
    item.li.setAttribute("data-state", state);
    item.status.textContent = text;
    if (state === "done") item.progress.value = 100;
    item.cancel.hidden = true;
  };

  /* PUT one file; resolves with {ok, error}. */
  function sendFile(item, url, list) {
    return new Promise(function (resolve) {
      if (item.canceled) { list.finish(item, "canceled", "Canceled"); resolve({ ok: false, error: "canceled" }); return; }
      var xhr = new XMLHttpRequest();
      item.xhr = xhr;
      xhr.open("PUT", url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken);
      xhr.setRequestHeader("Content-Type", item.file.type || "application/octet-stream");
      xhr.setRequestHeader("Accept", "application/json");
      item.li.setAttribute("data-state", "uploading");
      item.status.textContent = "Uploading 0%";
      xhr.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) return;
        var percent = Math.floor(event.loaded / event.total * 100);
        item.progress.value = percent;
        item.status.textContent = "Uploading " + percent + "%";
      });
      xhr.addEventListener("load", function () {
        if (xhr.status === 201) { list.finish(item, "done", "Uploaded"); resolve({ ok: true }); return; }
        var error = apiError(xhr.responseText, xhr.status);
        list.finish(item, "failed", "Failed: " + error.message);
        resolve({ ok: false, error: error.message });
      });
      xhr.addEventListener("error", function () { list.finish(item, "failed", "Failed: the connection broke"); resolve({ ok: false, error: "the connection broke" }); });
      xhr.addEventListener("abort", function () { list.finish(item, "canceled", "Canceled"); resolve({ ok: false, error: "canceled" }); });
      xhr.send(item.file);
    });
  }

  /* Send files to baseUrl/<folder>/<name>, a few at a time; resolves with the results in order. */
  function uploadAll(files, folder, baseUrl, list, maxSize) {
    var items = files.map(function (file) {
      var item = list.add(file, folder ? folder + "/" + file.name : file.name);
      item.cancel.addEventListener("click", function () {
        item.canceled = true;
        if (item.xhr) item.xhr.abort();
        else list.finish(item, "canceled", "Canceled");
      });
      return item;
    });
    var results = new Array(items.length);
    var next = 0;
    function worker() {
      if (next >= items.length) return Promise.resolve();
      var index = next++;
      var item = items[index];
      if (maxSize && item.file.size > maxSize) {
        list.finish(item, "failed", "Not sent: larger than " + formatSize(maxSize));
        results[index] = { ok: false, path: item.path, error: "larger than " + formatSize(maxSize) };
        return worker();
      }
      if (item.canceled) {
        results[index] = { ok: false, path: item.path, error: "canceled" };
        return worker();
      }
      return sendFile(item, baseUrl + "/" + encodePath(item.path), list).then(function (result) {
        result.path = item.path;
        results[index] = result;
        return worker();
      });
    }
    var workers = [];
    for (var i = 0; i < Math.min(CONCURRENCY, items.length); i++) workers.push(worker());
    return Promise.all(workers).then(function () { return results; });
  }

  /* Replace the artifact tree (and the tab's count) with the server's fresh rendering. */
  function refreshTree() {
    var url = new URL(window.location.href);
    url.searchParams.set("tab", "artifacts");
    return fetch(url.toString(), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["mr-artifact-tree", "mr-artifacts-count"].forEach(function (id) {
          var current = document.getElementById(id);
          var replacement = fresh.getElementById(id);
          if (current && replacement) current.replaceWith(document.importNode(replacement, true));
        });
      });
  }

  /* -- the Artifacts tab ----------------------------------------------------------------- */
  function setupUploader(form) {
    var list = new UploadList(form.querySelector("[data-mr-upload-list]"));
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector("[data-mr-dropzone]");
    var status = form.querySelector("[data-mr-status]");
    var maxSize = parseInt(form.getAttribute("data-max-file-size"), 10) || 0;
    var baseUrl = form.getAttribute("data-api-url");
    var running = 0;

    function start(files) {
      var checked = checkSubfolder(form.querySelector("[name=subfolder]").value);
      if (checked.error) {
        var field = setFieldError(form, "subfolder", checked.error);
        if (field) field.focus();
        return;
      }
      setFieldError(form, "subfolder", "");
      if (!files.length) { status.textContent = "Select files first, or drop them on the drop area."; return; }
      running += 1;
      status.textContent = "Uploading " + files.length + " file" + (files.length === 1 ? "" : "s") + "…";
      uploadAll(files, checked.folder, baseUrl, list, maxSize).then(function (results) {
        var ok = results.filter(function (r) { return r.ok; }).length;
        var failed = results.length - ok;
        status.textContent = ok + " uploaded" + (failed ? ", " + failed + " not uploaded" : "") + ".";
        return ok ? refreshTree() : null;
      }).catch(function () {
        status.textContent = "Uploaded; reload the page to see the files.";
      }).then(function () { running -= 1; });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var files = Array.prototype.slice.call(input.files || []);
      start(files);
      input.value = "";
    });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("mr-dragover");
        if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
      });
    });
    zone.addEventListener("dragleave", function (event) {
      if (!zone.contains(event.relatedTarget)) zone.classList.remove("mr-dragover");
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("mr-dragover");
      var files = Array.prototype.slice.call((event.dataTransfer && event.dataTransfer.files) || []);
      start(files);
    });
    window.addEventListener("beforeunload", function (event) {
      if (running > 0) { event.preventDefault(); event.returnValue = ""; }
    });
  }

  window.ModelRegistryUploads = {
    csrfToken: csrfToken, formatSize: formatSize, checkSubfolder: checkSubfolder, setFieldError: setFieldError,
    UploadList: UploadList, uploadAll: uploadAll,
  };
  root.querySelectorAll("form[data-mr-uploader]").forEach(setupUploader);
})();
