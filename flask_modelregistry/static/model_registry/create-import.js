/* "Create & import" on the new version page: create the version through the JSON API, then send
   each file in a request of its own (uploads.js); if any file fails, delete the version again so
   nothing is left half made. Without this script the form posts to the server, which does the same. */
(function () {
  "use strict";

  var root = document.getElementById("model-registry");
  var shared = window.ModelRegistryUploads;
  if (!root || !shared) return;
  var csrfToken = shared.csrfToken;
  var formatSize = shared.formatSize;
  var checkSubfolder = shared.checkSubfolder;
  var setFieldError = shared.setFieldError;
  var UploadList = shared.UploadList;
  var uploadAll = shared.uploadAll;

  function parseKeyValues(text) {
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
    window.addEventListener("beforeunload", function (event) {
      if (form.getAttribute("aria-busy") === "true") { event.preventDefault(); event.returnValue = ""; }
    });
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
        if (!files.length) { form.removeAttribute("aria-busy"); window.location.assign(pageUrl); return; }
        status.textContent = "Uploading " + files.length + " file" + (files.length === 1 ? "" : "s") + "…";
        return uploadAll(files, folder.folder, apiUrl + "/artifacts", list, maxSize).then(function (results) {
          var failed = results.filter(function (r) { return !r.ok; });
          if (!failed.length) {
            status.textContent = "Done.";
            form.removeAttribute("aria-busy");
            window.location.assign(pageUrl);
            return;
          }
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

  root.querySelectorAll("form[data-mr-create-import]").forEach(setupCreateImport);
})();
