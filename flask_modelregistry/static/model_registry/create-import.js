/* "Create & import" on the new version page: create the version through the JSON API, then send
   each file in a request of its own (uploads.js; on GCS straight to the bucket, direct-upload.js); if any file fails, delete the version again so
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
  var i18n = window.ModelRegistryI18n;
  var t = i18n.t;

  function parseKeyValues(text) {
    var out = {};
    var lines = (text || "").split(/\r?\n/);
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].trim();
      if (!line || line.charAt(0) === "#") continue;
      var at = line.indexOf("=");
      var key = at > 0 ? line.slice(0, at).trim() : "";
      if (!key) throw new Error(t("line_write_name_value", { num: i + 1 }));
      if (Object.prototype.hasOwnProperty.call(out, key)) throw new Error(t("line_given_twice", { num: i + 1, key: key }));
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
        if (value === "" || isNaN(Number(value))) throw new Error(t("not_a_number", { key: key, value: value || t("an_empty_value") }));
        metrics.push({ key: key, value: Number(value), step: step });
      });
    });
    return metrics;
  }
  /* Semantic Versioning 2.0.0 (semver.org), the rule the server applies too. */
  var SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

  function checkVersion(version) {
    if (!version) return t("version_required");
    return SEMVER.test(version) ? "" : t("semver_invalid");
  }

  /* messages of the JSON API in the page's language (the originals when that fails) */
  function translateMessages(messages) {
    var url = root.getAttribute("data-messages-url");
    if (!url) return Promise.resolve(messages);
    return jsonRequest("POST", url, { messages: messages }).then(function (answer) {
      return answer.ok && answer.data && Array.isArray(answer.data.messages) ? answer.data.messages : messages;
    }, function () { return messages; });
  }

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
        size.textContent = formatSize(file.size) + (maxSize && file.size > maxSize ? " — " + t("too_large_suffix") : "");
        li.append(name, size);
        chosen.appendChild(li);
      });
      chosen.hidden = !files.length;
    }
    input.addEventListener("change", showChosen);
    /* the version is checked while typing, as GitLab does; a corrected value clears the error */
    var versionInput = form.querySelector("[name=version]");
    var touched = false;
    versionInput.addEventListener("input", function () {
      var value = versionInput.value.trim();
      if (value) touched = true;
      if (!touched) return;
      setFieldError(form, "version", checkVersion(value));
    });
    versionInput.addEventListener("blur", function () {
      if (versionInput.value.trim()) { touched = true; setFieldError(form, "version", checkVersion(versionInput.value.trim())); }
    });
    /* a version typed before this script ran is checked now (only a wrong one: the server's own
       answer on a re-rendered form stays) */
    if (versionInput.value.trim() && checkVersion(versionInput.value.trim())) {
      touched = true;
      setFieldError(form, "version", checkVersion(versionInput.value.trim()));
    }
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
      var versionProblem = checkVersion(version);
      if (versionProblem) problems.push(["version", versionProblem]);
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
      if (tooLarge.length) problems.push(["files", t("files_too_large", { names: tooLarge.map(function (f) { return f.name; }).join(", "), size: formatSize(maxSize) })]);
      else if (twice.length) problems.push(["files", t("two_files_named", { name: twice[0] })]);
      if (problems.length) {
        var first = null;
        problems.forEach(function (p) { var el = setFieldError(form, p[0], p[1]); first = first || el; });
        fail(first);
        return;
      }
      submit.disabled = true;
      form.setAttribute("aria-busy", "true");
      status.textContent = t("creating_version");
      var versionsUrl = form.getAttribute("data-api-versions-url");
      jsonRequest("POST", versionsUrl, body).then(function (created) {
        if (!created.ok) {
          var error = (created.data && created.data.error) || { message: t("server_answered", { status: created.status }) };
          var keys = Object.keys(error.fields || {});
          // the JSON API answers in English: the page has the server say it in the page's language
          return translateMessages([error.message].concat(keys.map(function (key) { return error.fields[key]; })))
            .then(function (texts) {
              var first = null;
              keys.forEach(function (key, index) {
                var name = key.split(/[\[.]/)[0];
                if (fields.indexOf(name) !== -1) { var el = setFieldError(form, name, texts[index + 1]); first = first || el; }
                else formError(key + ": " + texts[index + 1]);
              });
              if (!keys.length) formError(t("version_not_created", { problem: texts[0] }));
              status.textContent = "";
              fail(first);
            });
        }
        var created_version = created.data;
        // the next page confirms the creation, as the server's own form does with a flash message
        var confirmCreated = function () {
          try { window.sessionStorage.setItem("mr-flash", t("version_created", { version: created_version.version })); } catch (e) { /* storage off */ }
        };
        var pageUrl = form.getAttribute("data-model-url") + "/versions/" + created_version.id;
        var apiUrl = versionsUrl + "/" + created_version.id;
        if (!files.length) { form.removeAttribute("aria-busy"); confirmCreated(); window.location.assign(pageUrl); return; }
        status.textContent = i18n.n("uploading_files", files.length);
        // on GCS each file goes straight to the bucket (direct-upload.js), never through the app
        var directUrl = (form.getAttribute("data-mr-direct-upload-url") || "").replace("{version_id}", String(created_version.id));
        return uploadAll(files, folder.folder, apiUrl + "/artifacts", list, maxSize, directUrl).then(function (results) {
          var failed = results.filter(function (r) { return !r.ok; });
          if (!failed.length) {
            status.textContent = t("done");
            form.removeAttribute("aria-busy");
            confirmCreated();
            window.location.assign(pageUrl);
            return;
          }
          status.textContent = t("removing_incomplete");
          return jsonRequest("DELETE", apiUrl).then(function () {
            list.list.querySelectorAll("li[data-state=done] .mr-upload-status").forEach(function (el) {
              el.textContent = t("removed_with_version");
            });
            formError(t("not_created_because", { reasons: failed.map(function (r) {
              return r.error === "canceled" ? t("canceled_file", { path: r.path }) : t("failed_file", { path: r.path, problem: r.error });
            }).join("; ") }));
            status.textContent = "";
            fail(null);
          });
        });
      }).catch(function () {
        formError(t("connection_broke_check"));
        status.textContent = "";
        fail(null);
      });
    });
  }

  root.querySelectorAll("form[data-mr-create-import]").forEach(setupCreateImport);
})();
