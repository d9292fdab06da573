/* The model registry's pages, enhanced: menus, tabs, confirmation dialogs, copy buttons, the compare
   form. Everything here also works without this script (links, details/summary, confirmation pages). */
(function () {
  "use strict";

  var root = document.getElementById("model-registry");
  if (!root) return;

  /* -- the page's language: strings, numbers and sizes (the server hands them over in #mr-i18n) -- */
  var i18nData = {};
  try { i18nData = JSON.parse(document.getElementById("mr-i18n").textContent) || {}; } catch (e) { i18nData = {}; }
  var locale = root.getAttribute("data-locale") || i18nData.locale || "en";
  var messages = i18nData.messages || {};
  var plurals = i18nData.plurals || {};
  var pluralRules = window.Intl && Intl.PluralRules ? new Intl.PluralRules(locale) : null;
  var numberFormat = window.Intl ? new Intl.NumberFormat(locale) : null;
  var sizeFormat = window.Intl ? new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) : null;
  function fill(text, vars) {
    return String(text).replace(/%\((\w+)\)s/g, function (match, name) {
      return vars && Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : match;
    }).replace(/%%/g, "%");
  }
  function formatNumber(value) { return numberFormat ? numberFormat.format(value) : String(value); }
  function t(key, vars) { return fill(Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key, vars); }
  function n(key, count, vars) {
    var forms = plurals[key] || [key, key];
    var one = pluralRules ? pluralRules.select(count) === "one" : count === 1;
    var all = { num: formatNumber(count) };
    Object.keys(vars || {}).forEach(function (name) { all[name] = vars[name]; });
    return fill(one ? forms[0] : forms[1], all);
  }
  function formatSize(bytes) {
    if (bytes < 1024) return n("size_bytes", bytes);
    var units = ["KiB", "MiB", "GiB", "TiB"];
    var value = bytes;
    var unit = units[0];
    for (var i = 0; i < units.length; i++) {
      value /= 1024;
      unit = units[i];
      if (value < 1024) break;
    }
    return (sizeFormat ? sizeFormat.format(value) : value.toFixed(1)) + " " + unit;
  }
  window.ModelRegistryI18n = { locale: locale, t: t, n: n, formatNumber: formatNumber, formatSize: formatSize };

  root.classList.add("mr-js");
  /* a confirmation left by the previous page's script (a version created through the JSON API) */
  try {
    var flash = window.sessionStorage.getItem("mr-flash");
    window.sessionStorage.removeItem("mr-flash");
    if (flash) {
      var note = document.createElement("div");
      note.className = "mr-alert mr-alert-success";
      note.setAttribute("role", "status");
      note.textContent = flash;
      root.insertBefore(note, root.firstChild);
    }
  } catch (e) { /* storage off: no confirmation */ }
  root.querySelectorAll("[data-mr-js-only]").forEach(function (el) { el.hidden = false; });
  try {
    var refocus = window.sessionStorage.getItem("mr-refocus");
    window.sessionStorage.removeItem("mr-refocus");
    if (refocus && document.getElementById(refocus)) document.getElementById(refocus).focus();
  } catch (e) { /* storage off: the focus starts at the top */ }

  /* -- menus ------------------------------------------------------------------------------ */
  function menuItems(menu) { return Array.prototype.slice.call(menu.querySelectorAll("[role=menuitem]")); }

  function closeMenu(menu, focusButton) {
    if (!menu.open) return;
    menu.open = false;
    if (focusButton) menu.querySelector("summary").focus();
  }

  /* an open menu stays inside the window: it opens towards the side it has room on */
  function keepInside(list) {
    if (!list) return;
    list.style.left = "";
    list.style.right = "";
    var box = list.getBoundingClientRect();
    var room = document.documentElement.clientWidth;
    if (box.left < 8) { list.style.left = "0"; list.style.right = "auto"; box = list.getBoundingClientRect(); }
    if (box.right > room - 8) { list.style.left = "auto"; list.style.right = "0"; box = list.getBoundingClientRect(); }
    if (box.left < 8 || box.right > room - 8) {
      // neither side has room: shift it to the window's edge
      var parent = list.offsetParent ? list.offsetParent.getBoundingClientRect() : { left: 0 };
      list.style.right = "auto";
      list.style.left = (8 - parent.left) + "px";
    }
  }

  root.querySelectorAll("details.mr-menu").forEach(function (menu) {
    var summary = menu.querySelector("summary");
    menu.addEventListener("toggle", function () {
      summary.setAttribute("aria-expanded", menu.open ? "true" : "false");
      if (!menu.open) return;
      keepInside(menu.querySelector(".mr-menu-list"));
      root.querySelectorAll("details.mr-menu[open]").forEach(function (other) {
        if (other !== menu) other.open = false;
      });
      var first = menuItems(menu)[0];
      if (first) first.focus();
    });
    menu.addEventListener("keydown", function (event) {
      var items = menuItems(menu);
      var index = items.indexOf(document.activeElement);
      if (event.key === "Escape") { event.preventDefault(); closeMenu(menu, true); }
      else if (event.key === "ArrowDown" && menu.open) { event.preventDefault(); items[(index + 1) % items.length].focus(); }
      else if (event.key === "ArrowUp" && menu.open) { event.preventDefault(); items[(index - 1 + items.length) % items.length].focus(); }
      else if (event.key === "Home" && menu.open) { event.preventDefault(); items[0].focus(); }
      else if (event.key === "End" && menu.open) { event.preventDefault(); items[items.length - 1].focus(); }
      else if (event.key === "Tab") { closeMenu(menu, false); }
    });
  });
  document.addEventListener("click", function (event) {
    root.querySelectorAll("details.mr-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });

  /* -- tabs: links that switch in place and keep the URL in step ---------------------------- */
  var tabs = Array.prototype.slice.call(root.querySelectorAll("[role=tab][data-mr-tab]"));
  function selectTab(tab, focus) {
    if (!document.getElementById(tab.getAttribute("aria-controls"))) {
      // a tab whose panel is drawn only on its own page (the model's Performance tab): Enter follows its link
      if (focus) tab.focus();
      return;
    }
    tabs.forEach(function (other) {
      var selected = other === tab;
      other.setAttribute("aria-selected", selected ? "true" : "false");
      other.tabIndex = selected ? 0 : -1;
      var panel = document.getElementById(other.getAttribute("aria-controls"));
      if (panel) panel.hidden = !selected;
    });
    if (focus) tab.focus();
    var url = new URL(window.location.href);
    url.searchParams.set("tab", tab.getAttribute("data-mr-tab"));
    window.history.replaceState(null, "", url.toString());
  }
  tabs.forEach(function (tab, index) {
    tab.addEventListener("click", function (event) {
      var panel = document.getElementById(tab.getAttribute("aria-controls"));
      if (!panel) return;
      event.preventDefault();
      selectTab(tab, false);
    });
    tab.addEventListener("keydown", function (event) {
      var next = null;
      if (event.key === "ArrowRight") next = tabs[(index + 1) % tabs.length];
      else if (event.key === "ArrowLeft") next = tabs[(index - 1 + tabs.length) % tabs.length];
      else if (event.key === "Home") next = tabs[0];
      else if (event.key === "End") next = tabs[tabs.length - 1];
      if (next) { event.preventDefault(); selectTab(next, true); }
    });
  });

  /* -- the confirmation dialog ----------------------------------------------------------- */
  var dialog = document.getElementById("mr-confirm-dialog");
  var returnFocus = null;  // where the keyboard goes back to when the dialog closes without deleting
  function openConfirm(options) {
    if (!dialog || typeof dialog.showModal !== "function") return false;
    var form = dialog.querySelector("form");
    form.setAttribute("action", options.action);
    dialog.querySelector("#mr-confirm-heading").textContent = options.heading;
    dialog.querySelector("#mr-confirm-message").textContent = options.message;
    dialog.querySelector("[data-mr-dialog-confirm]").textContent = options.label;
    var list = dialog.querySelector(".mr-dialog-items");
    var inputs = dialog.querySelector(".mr-dialog-inputs");
    list.textContent = "";
    inputs.textContent = "";
    (options.items || []).forEach(function (item) {
      var li = document.createElement("li");
      var code = document.createElement("code");
      code.textContent = item;
      li.appendChild(code);
      list.appendChild(li);
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = options.itemName || "paths";
      input.value = item;
      inputs.appendChild(input);
    });
    list.hidden = !(options.items && options.items.length);
    returnFocus = options.returnFocus || null;
    dialog.showModal();
    dialog.querySelector("[data-mr-dialog-cancel]").focus();
    return true;
  }
  if (dialog) {
    dialog.querySelector("[data-mr-dialog-cancel]").addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("click", function (event) { if (event.target === dialog) dialog.close(); });
    dialog.addEventListener("close", function () {
      // the item that opened the dialog sat in a menu that is closed now: focus its menu button
      if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
      returnFocus = null;
    });
    dialog.querySelector("form").addEventListener("submit", function () {
      dialog.querySelector("[data-mr-dialog-confirm]").disabled = true;
    });
  }
  root.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-mr-confirm]");
    if (!trigger) return;
    var menu = trigger.closest("details.mr-menu");
    var opened = openConfirm({
      action: trigger.getAttribute("data-mr-action"),
      heading: trigger.getAttribute("data-mr-heading"),
      message: trigger.getAttribute("data-mr-message"),
      label: trigger.getAttribute("data-mr-confirm-label"),
      items: trigger.hasAttribute("data-mr-items") ? JSON.parse(trigger.getAttribute("data-mr-items")) : [],
      itemName: "paths",
      returnFocus: menu ? menu.querySelector("summary") : trigger,
    });
    if (opened) {
      event.preventDefault();
      if (menu) menu.open = false;
    }
  });

  /* -- deleting files: checkboxes, "All files", then the dialog ------------------------------ */
  function checkedPaths(form) {
    return Array.prototype.slice.call(form.querySelectorAll("input[name=paths]:checked")).map(function (box) { return box.value; });
  }
  function updateChecked(form) {
    var count = checkedPaths(form).length;
    var total = form.querySelectorAll("input[name=paths]").length;
    var label = form.querySelector("[data-mr-checked-count]");
    if (label) label.textContent = count ? t("checked_count", { count: formatNumber(count), total: formatNumber(total) }) : "";
    var all = form.querySelector("[data-mr-check-all]");
    if (all) { all.checked = count > 0 && count === total; all.indeterminate = count > 0 && count < total; }
    form.querySelectorAll("[data-mr-check-folder]").forEach(function (folder) {
      var prefix = folder.getAttribute("data-mr-check-folder") + "/";
      var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=paths]")).filter(function (box) { return box.value.indexOf(prefix) === 0; });
      var ticked = boxes.filter(function (box) { return box.checked; }).length;
      folder.checked = boxes.length > 0 && ticked === boxes.length;
      folder.indeterminate = ticked > 0 && ticked < boxes.length;
    });
  }
  root.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-mr-delete-files]");
    if (form) {
      if (event.target.matches("[data-mr-check-all]")) {
        form.querySelectorAll("input[name=paths]").forEach(function (box) { box.checked = event.target.checked; });
      }
      if (event.target.matches("[data-mr-check-folder]")) {
        // a folder's box ticks every file under it
        var prefix = event.target.getAttribute("data-mr-check-folder") + "/";
        form.querySelectorAll("input[name=paths]").forEach(function (box) {
          if (box.value.indexOf(prefix) === 0) box.checked = event.target.checked;
        });
      }
      updateChecked(form);
    }
    if (event.target.matches("select[data-mr-autosubmit]")) {
      // a keyboard changes the field with each arrow key: after the reload, it is still on the field
      try { window.sessionStorage.setItem("mr-refocus", event.target.id); } catch (e) { /* storage off */ }
      event.target.form.submit();
    }
    var compare = event.target.closest("form[data-mr-compare-form]");
    if (compare) updateCompare(compare);
  });
  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("form[data-mr-delete-files]")) {
      var paths = checkedPaths(form);
      if (!paths.length) {
        event.preventDefault();
        var label = form.querySelector("[data-mr-checked-count]");
        if (label) label.textContent = t("tick_files_first");
        return;
      }
      var opened = openConfirm({
        action: form.getAttribute("action"),
        heading: form.getAttribute("data-mr-heading"),
        message: n("delete_files_message", paths.length),
        label: t("delete"),
        items: paths,
        itemName: "paths",
        returnFocus: event.submitter || form.querySelector("[data-mr-delete-button]"),
      });
      if (opened) event.preventDefault();
    } else if (form.matches("form[data-mr-compare-form]")) {
      event.preventDefault();
      var ids = Array.prototype.slice.call(form.querySelectorAll("input[name=versions]:checked")).map(function (box) { return box.value; });
      if (ids.length < 2) { updateCompare(form, true); return; }
      window.location.assign(form.getAttribute("action") + "?versions=" + ids.join(","));
    }
  });

  function updateCompare(form, insist) {
    var count = form.querySelectorAll("input[name=versions]:checked").length;
    var hint = form.querySelector("[data-mr-compare-hint]");
    var button = form.querySelector("[data-mr-compare-button]");
    // Compare is offered once two versions are ticked; the hint says why until then
    if (button) button.disabled = count < 2;
    if (!hint) return;
    if (count >= 2) hint.textContent = t("compare_selected", { count: formatNumber(count) });
    else if (insist) hint.textContent = n("tick_two", 2);
    else hint.textContent = t("compare_hint");
  }

  root.querySelectorAll("form[data-mr-compare-form]").forEach(function (form) { updateCompare(form); });

  /* -- description fields: Write/Preview tabs and a small Markdown toolbar ------------------- */
  var previewUrl = root.getAttribute("data-preview-url");
  var WRAPS = {
    bold: ["**", "**"], italic: ["_", "_"], code: ["`", "`"], link: ["[", "](https://)"],
    list: ["\n- ", ""], task: ["\n- [ ] ", ""], details: ["\n<details>\n<summary>", "</summary>\n\n\n\n</details>\n"],
  };
  function wrapSelection(area, kind) {
    var pair = WRAPS[kind];
    var start = area.selectionStart, end = area.selectionEnd;
    var before = area.value.slice(0, start), chosen = area.value.slice(start, end), after = area.value.slice(end);
    var open = pair[0];
    if (open.charAt(0) === "\n" && (start === 0 || before.slice(-1) === "\n")) open = open.slice(1);
    area.value = before + open + chosen + pair[1] + after;
    area.focus();
    area.setSelectionRange(start + open.length, start + open.length + chosen.length);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }
  root.querySelectorAll("[data-mr-markdown-editor]").forEach(function (editor) {
    var area = editor.querySelector("textarea");
    var write = editor.querySelector("[data-mr-md-tab=write]");
    var preview = editor.querySelector("[data-mr-md-tab=preview]");
    var writePanel = document.getElementById(write.getAttribute("aria-controls"));
    var previewPanel = document.getElementById(preview.getAttribute("aria-controls"));
    var toolbar = editor.querySelector(".mr-md-toolbar");
    if (!previewUrl) { preview.hidden = true; }
    function show(tab) {
      var previewing = tab === preview;
      write.setAttribute("aria-selected", previewing ? "false" : "true");
      preview.setAttribute("aria-selected", previewing ? "true" : "false");
      write.tabIndex = previewing ? -1 : 0;
      preview.tabIndex = previewing ? 0 : -1;
      writePanel.hidden = previewing;
      previewPanel.hidden = !previewing;
      toolbar.hidden = previewing;
      if (!previewing) return;
      if (!area.value.trim()) { previewPanel.textContent = t("preview_empty"); return; }
      previewPanel.textContent = t("preview_loading");
      var body = new URLSearchParams();
      body.set("text", area.value);
      fetch(previewUrl, { method: "POST", credentials: "same-origin", body: body,
                          headers: { "X-CSRFToken": root.getAttribute("data-csrf-token"), Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          // the server's sanitised rendering (markdown.py), parsed inertly before it is shown
          var fresh = new DOMParser().parseFromString("<div>" + html + "</div>", "text/html").body.firstChild;
          previewPanel.textContent = "";
          while (fresh.firstChild) previewPanel.appendChild(fresh.firstChild);
          if (!previewPanel.childNodes.length) previewPanel.textContent = t("preview_empty");
        })
        .catch(function () { previewPanel.textContent = t("preview_failed"); });
    }
    [write, preview].forEach(function (tab) {
      tab.addEventListener("click", function () { show(tab); });
      tab.addEventListener("keydown", function (event) {
        if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
          event.preventDefault();
          var other = tab === write ? preview : write;
          if (!other.hidden) { show(other); other.focus(); }
        }
      });
    });
    editor.querySelectorAll("[data-mr-md]").forEach(function (button) {
      button.addEventListener("click", function () { wrapSelection(area, button.getAttribute("data-mr-md")); });
    });
  });

  /* -- copy buttons, disclosures opened from links ---------------------------------------- */
  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-mr-copy]");
    if (button) {
      var text = button.getAttribute("data-mr-copy");
      var original = button.textContent;
      var done = function () { button.textContent = t("copied"); setTimeout(function () { button.textContent = original; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, function () {});
      else {
        var area = document.createElement("textarea");
        area.value = text;
        area.setAttribute("readonly", "");
        area.style.position = "fixed";
        area.style.opacity = "0";
        document.body.appendChild(area);
        area.select();
        try { document.execCommand("copy"); done(); } catch (e) { /* nothing to do */ }
        document.body.removeChild(area);
      }
      return;
    }
    var opener = event.target.closest("[data-mr-open-details]");
    if (opener) {
      var target = document.getElementById(opener.getAttribute("data-mr-open-details"));
      if (target && target.tagName === "DETAILS") target.open = true;
      var menu = opener.closest("details.mr-menu");
      if (menu) menu.open = false;
    }
  });
})();
