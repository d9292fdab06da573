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

  var i18n = window.ModelRegistryI18n;
  var t = i18n.t;
  var formatSize = i18n.formatSize;

  function encodePath(path) { return path.split("/").map(encodeURIComponent).join("/"); }

  /* A subfolder as the server will accept it (services/uploads.py: check_subfolder), or an error message. */
  function checkSubfolder(value) {
    var folder = (value || "").trim().replace(/^\/+|\/+$/g, "");
    if (!folder) return { folder: "" };
    if (folder.indexOf("\\") !== -1) return { error: t("subfolder_backslash") };
    if (/\s/.test(folder)) return { error: t("subfolder_spaces") };
    var parts = folder.split("/");
    for (var i = 0; i < parts.length; i++) {
      if (parts[i] === "" || parts[i] === "." || parts[i] === "..") return { error: t("subfolder_dots") };
    }
    return { folder: folder };
  }

  function apiError(xhrOrText, status) {
    try {
      var body = JSON.parse(xhrOrText);
      if (body && body.error) return body.error;
    } catch (e) { /* not JSON */ }
    if (status === 413) return { message: t("larger_than_limit") };
    return { message: status ? t("server_answered", { status: status }) : t("connection_failed") };
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
    progress.setAttribute("aria-label", t("progress_of", { path: path }));
    var status = document.createElement("span");
    status.className = "mr-upload-status";
    status.textContent = t("waiting");
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "mr-btn mr-btn-sm";
    cancel.textContent = t("cancel");
    cancel.setAttribute("aria-label", t("cancel_path", { path: path }));
    li.append(name, progress, status, cancel);
    this.list.appendChild(li);
    this.list.hidden = false;
    return { file: file, path: path, li: li, progress: progress, status: status, cancel: cancel, xhr: null, canceled: false };
  };
  UploadList.prototype.finish = function (item, state, text) {
    item.li.setAttribute("data-state", state);
    item.status.textContent = text;
    if (state === "done") item.progress.value = 100;
    else item.progress.hidden = true;  // a failed or canceled row shows its reason, never a full bar
    item.cancel.hidden = true;
  };

  /* PUT one file; resolves with {ok, error}. */
  function sendFile(item, url, list) {
    return new Promise(function (resolve) {
      if (item.canceled) { list.finish(item, "canceled", t("canceled")); resolve({ ok: false, error: "canceled" }); return; }
      var xhr = new XMLHttpRequest();
      item.xhr = xhr;
      xhr.open("PUT", url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken);
      xhr.setRequestHeader("Content-Type", item.file.type || "application/octet-stream");
      xhr.setRequestHeader("Accept", "application/json");
      item.li.setAttribute("data-state", "uploading");
      item.status.textContent = t("uploading_percent", { percent: 0 });
      xhr.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) return;
        var percent = Math.floor(event.loaded / event.total * 100);
        item.progress.value = percent;
        item.status.textContent = t("uploading_percent", { percent: percent });
      });
      xhr.addEventListener("load", function () {
        if (xhr.status === 201) { list.finish(item, "done", t("uploaded")); resolve({ ok: true }); return; }
        var error = apiError(xhr.responseText, xhr.status);
        list.finish(item, "failed", t("failed", { problem: error.message }));
        resolve({ ok: false, error: error.message });
      });
      xhr.addEventListener("error", function () {
        list.finish(item, "failed", t("failed", { problem: t("connection_broke") }));
        resolve({ ok: false, error: t("connection_broke") });
      });
      xhr.addEventListener("abort", function () { list.finish(item, "canceled", t("canceled")); resolve({ ok: false, error: "canceled" }); });
      xhr.send(item.file);
    });
  }

  /* Send files to baseUrl/<folder>/<name>, a few at a time, or straight to the bucket through the
     direct-upload URL ``directUrl`` when the page has one (GCS); resolves with the results in order. */
  function uploadAll(files, folder, baseUrl, list, maxSize, directUrl) {
    var items = files.map(function (file) {
      var item = list.add(file, folder ? folder + "/" + file.name : file.name);
      item.cancel.addEventListener("click", function () {
        item.canceled = true;
        if (item.xhr) item.xhr.abort();
        else list.finish(item, "canceled", t("canceled"));
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
        list.finish(item, "failed", t("not_sent_too_large", { size: formatSize(maxSize) }));
        results[index] = { ok: false, path: item.path, error: "larger than " + formatSize(maxSize) };
        return worker();
      }
      if (item.canceled) {
        results[index] = { ok: false, path: item.path, error: "canceled" };
        return worker();
      }
      var direct = directUrl && window.ModelRegistryDirectUpload;  // direct-upload.js, on stores that take files straight
      return (direct ? direct.send(item, list, directUrl) : sendFile(item, baseUrl + "/" + encodePath(item.path), list)).then(function (result) {
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
  /* The files picked with "select", listed before they are sent. */
  function showPicked(listEl, files, maxSize) {
    listEl.textContent = "";
    files.forEach(function (file) {
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.className = "mr-upload-name";
      name.textContent = file.name;
      var size = document.createElement("span");
      size.className = "mr-muted";
      size.textContent = formatSize(file.size) + (maxSize && file.size > maxSize ? " — " + t("too_large_suffix") : "");
      li.append(name, size);
      listEl.appendChild(li);
    });
    listEl.hidden = !files.length;
  }

  function setupUploader(form) {
    var listEl = form.querySelector("[data-mr-upload-list]");
    var list = new UploadList(listEl);
    var box = form.querySelector("[data-mr-uploads-box]");
    var summary = form.querySelector("[data-mr-uploads-summary]");
    var clear = form.querySelector("[data-mr-uploads-clear]");
    var picked = form.querySelector("[data-mr-file-list]");
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector("[data-mr-dropzone]");
    var status = form.querySelector("[data-mr-status]");
    var maxSize = parseInt(form.getAttribute("data-max-file-size"), 10) || 0;
    var baseUrl = form.getAttribute("data-api-url");
    var running = 0;

    /* the upload list's summary line, kept in step with its rows */
    function summarize() {
      var rows = Array.prototype.slice.call(listEl.querySelectorAll("li"));
      var count = function (states) { return rows.filter(function (li) { return states.indexOf(li.getAttribute("data-state")) !== -1; }).length; };
      if (box) box.hidden = !rows.length;
      if (summary) summary.textContent = t("uploads_summary", {
        done: i18n.formatNumber(count(["done"])), failed: i18n.formatNumber(count(["failed", "canceled"])),
        running: i18n.formatNumber(count(["waiting", "uploading"])) });
      if (clear) clear.disabled = !count(["done", "failed", "canceled"]);
    }
    new MutationObserver(summarize).observe(listEl, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"] });
    if (clear) clear.addEventListener("click", function () {
      listEl.querySelectorAll("li[data-state=done], li[data-state=failed], li[data-state=canceled]").forEach(function (li) { li.remove(); });
      if (!listEl.children.length) listEl.hidden = true;
      summarize();
    });

    function start(files) {
      var checked = checkSubfolder(form.querySelector("[name=subfolder]").value);
      if (checked.error) {
        var field = setFieldError(form, "subfolder", checked.error);
        if (field) field.focus();
        return false;
      }
      setFieldError(form, "subfolder", "");
      if (!files.length) { status.textContent = t("select_first"); return false; }
      running += 1;
      status.textContent = i18n.n("uploading_files", files.length);
      uploadAll(files, checked.folder, baseUrl, list, maxSize, form.getAttribute("data-mr-direct-upload-url")).then(function (results) {
        var ok = results.filter(function (r) { return r.ok; }).length;
        status.textContent = "";
        summarize();
        return ok ? refreshTree() : null;
      }).catch(function () {
        status.textContent = t("uploaded_reload");
      }).then(function () { running -= 1; });
      return true;
    }

    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      showPicked(picked, files, maxSize);
      var total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
      status.textContent = files.length ? t("picked_summary", { count: i18n.formatNumber(files.length), size: formatSize(total) }) : "";
    });
    form.querySelector("[name=subfolder]").addEventListener("input", function (event) {
      // the same rule as the server, checked while typing; a corrected value clears the error
      var checked = checkSubfolder(event.target.value);
      setFieldError(form, "subfolder", checked.error || "");
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var files = Array.prototype.slice.call(input.files || []);
      if (start(files)) {
        input.value = "";
        showPicked(picked, [], maxSize);
      }
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
