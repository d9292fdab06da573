/* Uploads from the pages. Each file goes in a request of its own, a raw PUT to the JSON API (so the
   server streams it to storage, and the browser reports progress); never one multipart form.
   - Artifacts tab: files picked with "select" are sent on "Upload"; dropped files are sent at once.
   - New version: "Create & import" creates the version, then sends its files; if any file fails,
     the version is deleted again so nothing is left half made.
   Without this script both forms post to the server, which stores the files itself. */
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
      if (value < 1024 || i === units.length - 1) return i === 0 ? value + " bytes" : value.toFixed(1) + " " + units[i];
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

  /* -- "Create & import" ------------------------------------------------------------------ */
  function parseKeyValues(text, what) {
    var out = {};
    var lines = (text || "").split(/\r?\n/);
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].trim();
      if (!line || line.charAt(0) === "#") continue;
      var at = line.indexOf("=");
      var key = at > 0 ? line.slice(0, at).trim() : "";
      if (!key) throw new Error("Line " + (i + 1) + ": write name=value.");
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new Error("Line " + (i + 1) + ": " + key + " is given twice.");
      out[key] = line.slice(at + 1).trim();
    }
    return out;
  }
  function parseMetrics(text) {
    var metrics = [];
    var pairs = parseKeyValues(text);
    Object.keys(pairs).forEach(function (key) {
      pairs[key].split(",").forEach(function (raw, step) {
        var value = raw.trim();
        if (value === "" || isNaN(Number(value))) throw new Error(key + ": " + (value || "an empty value") + " is not a number.");
        metrics.push({ key: key, value: Number(value), step: step });
      });
    });
    return metrics;
  }
  /* Semantic Versioning 2.0.0 (semver.org), the rule the server applies too. */
  var SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

  function jsonRequest(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: response.status, ok: response.ok, data: data };
      });
    });
  }

  function setupCreateImport(form) {
    var list = new UploadList(form.querySelector("[data-mr-upload-list]"));
    var input = form.querySelector("input[type=file]");
    var chosen = form.querySelector("[data-mr-file-list]");
    var zone = form.querySelector("[data-mr-dropzone]");
    var status = form.querySelector("[data-mr-status]");
    var errors = form.querySelector("[data-mr-form-errors]");
    var submit = form.querySelector("[type=submit]");
    var maxSize = parseInt(form.getAttribute("data-max-file-size"), 10) || 0;
    var fields = ["version", "description", "files", "subfolder", "metrics", "params", "metadata"];

    function showChosen() {
      chosen.textContent = "";
      var files = Array.prototype.slice.call(input.files || []);
      files.forEach(function (file) {
        var li = document.createElement("li");
        var name = document.createElement("span");
        name.className = "mr-upload-name";
        name.textContent = file.name;
        var size = document.createElement("span");
        size.className = "mr-muted";
        size.textContent = formatSize(file.size) + (maxSize && file.size > maxSize ? " — too large" : "");
        li.append(name, size);
        chosen.appendChild(li);
      });
      chosen.hidden = !files.length;
    }
    input.addEventListener("change", showChosen);
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("mr-dragover"); });
    });
    zone.addEventListener("dragleave", function (event) {
      if (!zone.contains(event.relatedTarget)) zone.classList.remove("mr-dragover");
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("mr-dragover");
      var merged = new DataTransfer();
      Array.prototype.slice.call(input.files || []).forEach(function (f) { merged.items.add(f); });
      Array.prototype.slice.call(event.dataTransfer.files || []).forEach(function (f) { merged.items.add(f); });
      input.files = merged.files;
      showChosen();
    });

    function clearErrors() {
      fields.forEach(function (name) { setFieldError(form, name, ""); });
      errors.textContent = "";
      errors.hidden = true;
    }
    function formError(message) {
      var p = document.createElement("p");
      p.textContent = message;
      errors.appendChild(p);
      errors.hidden = false;
    }
    function fail(firstInput) {
      submit.disabled = false;
      form.removeAttribute("aria-busy");
      if (firstInput) firstInput.focus();
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearErrors();
      var version = form.querySelector("[name=version]").value.trim();
      var problems = [];
      if (!version) problems.push(["version", "Enter a version, e.g. 1.0.0."]);
      else if (!SEMVER.test(version)) problems.push(["version", "Must be a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0 or 2.0.1-rc2)."]);
      var body = { version: version, description: form.querySelector("[name=description]").value };
      [["metrics", parseMetrics], ["params", parseKeyValues], ["metadata", parseKeyValues]].forEach(function (pair) {
        try { body[pair[0]] = pair[1](form.querySelector("[name=" + pair[0] + "]").value); }
        catch (e) { problems.push([pair[0], e.message]); }
      });
      var folder = checkSubfolder(form.querySelector("[name=subfolder]").value);
      if (folder.error) problems.push(["subfolder", folder.error]);
      var files = Array.prototype.slice.call(input.files || []);
      var tooLarge = files.filter(function (f) { return maxSize && f.size > maxSize; });
      var names = files.map(function (f) { return f.name; });
      var twice = names.filter(function (name, index) { return names.indexOf(name) !== index; });
      if (tooLarge.length) problems.push(["files", tooLarge.map(function (f) { return f.name; }).join(", ") + ": larger than " + formatSize(maxSize) + ". Split large models into parts."]);
      else if (twice.length) problems.push(["files", "Two files are named " + twice[0] + "."]);
      if (problems.length) {
        var first = null;
        problems.forEach(function (p) { var el = setFieldError(form, p[0], p[1]); first = first || el; });
        fail(first);
        return;
      }
      submit.disabled = true;
      form.setAttribute("aria-busy", "true");
      status.textContent = "Creating the version…";
      var versionsUrl = form.getAttribute("data-api-versions-url");
      jsonRequest("POST", versionsUrl, body).then(function (created) {
        if (!created.ok) {
          var error = (created.data && created.data.error) || { message: "the server answered " + created.status };
          var first = null;
          Object.keys(error.fields || {}).forEach(function (key) {
            var name = key.split(/[\[.]/)[0];
            if (fields.indexOf(name) !== -1) { var el = setFieldError(form, name, error.fields[key]); first = first || el; }
            else formError(key + ": " + error.fields[key]);
          });
          if (!Object.keys(error.fields || {}).length) formError("The version was not created: " + error.message + ".");
          status.textContent = "";
          fail(first);
          return;
        }
        var created_version = created.data;
        var pageUrl = form.getAttribute("data-model-url") + "/versions/" + created_version.id;
        var apiUrl = versionsUrl + "/" + created_version.id;
        if (!files.length) { window.location.assign(pageUrl); return; }
        status.textContent = "Uploading " + files.length + " file" + (files.length === 1 ? "" : "s") + "…";
        return uploadAll(files, folder.folder, apiUrl + "/artifacts", list, maxSize).then(function (results) {
          var failed = results.filter(function (r) { return !r.ok; });
          if (!failed.length) { status.textContent = "Done."; window.location.assign(pageUrl); return; }
          status.textContent = "Removing the incomplete version…";
          return jsonRequest("DELETE", apiUrl).then(function () {
            list.list.querySelectorAll("li[data-state=done] .mr-upload-status").forEach(function (el) {
              el.textContent = "Removed with the version";
            });
            formError("The version was not created, because " + failed.map(function (r) { return r.path + " " + (r.error === "canceled" ? "was canceled" : "failed (" + r.error + ")"); }).join("; ") + ". Nothing was kept; fix the files and try again.");
            status.textContent = "";
            fail(null);
          });
        });
      }).catch(function () {
        formError("The connection to the server broke. Check the model's versions before trying again.");
        status.textContent = "";
        fail(null);
      });
    });
  }

  root.querySelectorAll("form[data-mr-uploader]").forEach(setupUploader);
  root.querySelectorAll("form[data-mr-create-import]").forEach(setupCreateImport);
})();
