/* The model registry's pages, enhanced: menus, tabs, confirmation dialogs, copy buttons, the compare
   form. Everything here also works without this script (links, details/summary, confirmation pages). */
(function () {
  "use strict";

  var root = document.getElementById("model-registry");
  if (!root) return;
  root.classList.add("mr-js");
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

  root.querySelectorAll("details.mr-menu").forEach(function (menu) {
    var summary = menu.querySelector("summary");
    menu.addEventListener("toggle", function () {
      summary.setAttribute("aria-expanded", menu.open ? "true" : "false");
      if (!menu.open) return;
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
    if (label) label.textContent = count ? count + " of " + total + " selected" : "";
    var all = form.querySelector("[data-mr-check-all]");
    if (all) { all.checked = count > 0 && count === total; all.indeterminate = count > 0 && count < total; }
  }
  root.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-mr-delete-files]");
    if (form) {
      if (event.target.matches("[data-mr-check-all]")) {
        form.querySelectorAll("input[name=paths]").forEach(function (box) { box.checked = event.target.checked; });
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
        if (label) label.textContent = "Tick the files to delete first.";
        return;
      }
      var opened = openConfirm({
        action: form.getAttribute("action"),
        heading: form.getAttribute("data-mr-heading"),
        message: (paths.length === 1 ? "This file" : "These " + paths.length + " files") + " will be deleted. This cannot be undone.",
        label: "Delete",
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
    if (!hint) return;
    if (count >= 2) hint.textContent = count + " versions selected.";
    else if (insist) hint.textContent = "Tick at least two versions to compare.";
    else hint.textContent = "Tick two or more versions to compare them.";
  }

  /* -- copy buttons, disclosures opened from links ---------------------------------------- */
  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-mr-copy]");
    if (button) {
      var text = button.getAttribute("data-mr-copy");
      var original = button.textContent;
      var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = original; }, 1500); };
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
