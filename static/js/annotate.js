/* Progressive enhancement for annotating. Without this script every paragraph
   has an "Annotate" link to a form page; with it, selecting words in a
   paragraph offers an "Annotate selection" button that opens the same form
   inline, prefilled with the exact quote and its offsets (UTF-16 units, which
   the server converts to code points). A "Reply" link under an annotation
   opens its reply form in place the same way. */
(function () {
  "use strict";

  var FORM_FIELDS_SELECTOR = ".fact-check-fields";

  function isSkipped(node) {
    // Reference markers ([1]) added after quotes are not part of the paragraph's text.
    var el = node.nodeType === 1 ? node : node.parentElement;
    return !!(el && el.closest(".quote-ref"));
  }

  function textNodes(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: function (n) { return isSkipped(n) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT; }
    });
    var nodes = [], n;
    while ((n = walker.nextNode())) nodes.push(n);
    return nodes;
  }

  // Offset (UTF-16 units) of a (container, offset) boundary within the paragraph's own text.
  function offsetIn(root, container, offset) {
    var nodes = textNodes(root), total = 0;
    if (container.nodeType !== 3) {
      // boundary between child nodes: count the text of the children before it
      var probe = document.createRange();
      probe.setStart(root, 0);
      probe.setEnd(container, offset);
      var frag = probe.cloneContents();
      frag.querySelectorAll(".quote-ref").forEach(function (el) { el.remove(); });
      return frag.textContent.length;
    }
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i] === container) return total + offset;
      total += nodes[i].data.length;
    }
    return null; // inside a skipped node
  }

  function paragraphText(root) {
    return textNodes(root).map(function (n) { return n.data; }).join("");
  }

  function currentSelection() {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || sel.rangeCount !== 1) return null;
    var range = sel.getRangeAt(0);
    var startEl = range.startContainer.nodeType === 1 ? range.startContainer : range.startContainer.parentElement;
    var endEl = range.endContainer.nodeType === 1 ? range.endContainer : range.endContainer.parentElement;
    var para = startEl && startEl.closest(".block-text[data-block-key]");
    if (!para || !endEl || endEl.closest(".block-text[data-block-key]") !== para) return null;
    var start = offsetIn(para, range.startContainer, range.startOffset);
    var end = offsetIn(para, range.endContainer, range.endOffset);
    if (start === null || end === null || end <= start) return null;
    var text = paragraphText(para);
    // trim white space at the edges of the selection
    while (start < end && /\s/.test(text.charAt(start))) start++;
    while (end > start && /\s/.test(text.charAt(end - 1))) end--;
    if (end <= start) return null;
    return { para: para, key: para.dataset.blockKey, start: start, end: end, quote: text.slice(start, end) };
  }

  var button = document.createElement("button");
  button.type = "button";
  button.className = "annotate-selection button";
  button.textContent = "Annotate selection";
  button.hidden = true;
  var pending = null;

  function blockOf(key) { return document.getElementById("p-" + key); }

  function annotateUrl(key) {
    var link = blockOf(key) && blockOf(key).querySelector("a.annotate-link");
    return link ? link.getAttribute("href") : null;
  }

  function showButton() {
    var found = currentSelection();
    if (!found || !annotateUrl(found.key)) { button.hidden = true; pending = null; return; }
    pending = found;
    var tools = blockOf(found.key).querySelector(".block-tools");
    if (button.parentNode !== tools) tools.appendChild(button);
    button.hidden = false;
  }

  function toggleFactCheckFields(form) {
    var checked = form.querySelector('input[name="kind"]:checked');
    var fixed = form.dataset.kind;
    var kind = checked ? checked.value : fixed;
    var fields = form.querySelector(FORM_FIELDS_SELECTOR);
    if (fields && kind) fields.hidden = kind !== "fact_check";
  }

  function enhanceForm(form) {
    form.addEventListener("change", function (e) {
      if (e.target.name === "kind") toggleFactCheckFields(form);
    });
    var quote = form.querySelector('textarea[name="quote"]');
    if (quote) {
      var original = quote.value;
      quote.addEventListener("input", function () {
        // offsets belong to the selected words: once the quote is retyped, the server searches for it
        if (quote.value === original) return;
        ["quote_start", "quote_end", "offsets_unit"].forEach(function (name) {
          var field = form.querySelector('input[name="' + name + '"]');
          if (field) field.value = "";
        });
      });
    }
    toggleFactCheckFields(form);
  }

  // The server-rendered form at url (+ query) into holder, with a Close button (which calls onClose after
  // removing the holder), then onLoaded(); a redirect (logged out) or any failure opens the form's own page.
  function loadForm(holder, url, query, onClose, onLoaded) {
    fetch(url + (url.indexOf("?") === -1 ? "?" : "&") + query, {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (response.redirected || !response.ok) { window.location.href = url; return null; }
      return response.text();
    }).then(function (html) {
      if (html === null) return;
      holder.innerHTML = html; // server-rendered, escaped template
      var close = document.createElement("button");
      close.type = "button";
      close.className = "link-button inline-close";
      close.textContent = "Close";
      close.addEventListener("click", function () { holder.remove(); onClose(); });
      holder.insertBefore(close, holder.firstChild);
      onLoaded();
    }).catch(function () { window.location.href = url; });
  }

  function openInline(key, selection) {
    var url = annotateUrl(key);
    if (!url) return;
    var block = blockOf(key);
    var params = new URLSearchParams({ fragment: "1" });
    if (selection) {
      params.set("quote", selection.quote);
      params.set("start", String(selection.start));
      params.set("end", String(selection.end));
      params.set("unit", "utf16");
    }
    var existing = block.querySelector(".inline-annotate");
    if (existing) existing.remove();
    var holder = document.createElement("div");
    holder.className = "inline-annotate";
    holder.setAttribute("role", "region");
    holder.setAttribute("aria-label", "Annotate this paragraph");
    holder.textContent = "Loading the form…";
    block.querySelector(".block-main").appendChild(holder);
    loadForm(holder, url, params.toString(), function () {
      var l = block.querySelector("a.annotate-link");
      if (l) l.focus();
    }, function () {
      var form = holder.querySelector("form");
      if (form) {
        enhanceForm(form);
        var first = form.querySelector('input[name="kind"]:checked') || form.querySelector("textarea, input:not([type=hidden])");
        if (first) first.focus();
      }
    });
  }

  document.addEventListener("selectionchange", function () { window.requestAnimationFrame(showButton); });
  button.addEventListener("mousedown", function (e) { e.preventDefault(); }); // keep the selection
  button.addEventListener("click", function () {
    if (!pending) return;
    var chosen = pending;
    button.hidden = true;
    openInline(chosen.key, chosen);
  });

  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a.annotate-link[data-block-key]");
    if (!link || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    openInline(link.dataset.blockKey, null);
  });

  // Replies (issue #15): every "Reply" link leads to a form page of its own; here the same form opens in
  // place under the annotation it answers (the server renders it: ?fragment=1). The form posts as usual.
  function openReply(link) {
    var url = link.getAttribute("href");
    var card = link.closest("article.annotation");
    if (!url || !card) return;
    var existing = card.querySelector(":scope > .inline-reply");
    if (existing) { existing.querySelector("textarea") && existing.querySelector("textarea").focus(); return; }
    var holder = document.createElement("div");
    holder.className = "inline-reply";
    holder.setAttribute("role", "region");
    holder.setAttribute("aria-label", "Reply to this annotation");
    holder.textContent = "Loading the form…";
    var footer = card.querySelector(":scope > footer.annotation-meta");
    card.insertBefore(holder, footer ? footer.nextSibling : null);
    loadForm(holder, url, "fragment=1", function () { link.focus(); }, function () {
      var body = holder.querySelector("textarea");
      if (body) body.focus();
    });
  }

  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a.reply-link[data-reply-to]");
    if (!link || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    openReply(link);
  });

  document.querySelectorAll("form.annotation-form").forEach(enhanceForm);
})();
