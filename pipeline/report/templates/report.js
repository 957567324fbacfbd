/* report.html's only script (allowed by its sha256 in the page's Content-Security-Policy):
   sorting and filtering of the look-up tables, and concordance lines on demand, read from the
   page's JSON block. Text goes in with textContent only, never as HTML. */
(function () {
  "use strict";
  var node = document.getElementById("dj-data");
  var data = node ? JSON.parse(node.textContent) : {};
  var docs = data.docs || [];
  var NUMERIC = { rank: 1, count: 1, docs: 1, first: 1, last: 1, national: 1, df: 1, score: 1 };

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function isConc(row) { return row && row.classList.contains("conc"); }
  function concOf(row) { var next = row.nextElementSibling; return isConc(next) ? next : null; }
  function mainRows(table) {
    return Array.prototype.filter.call(table.tBodies[0].rows, function (r) { return !isConc(r); });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function applyFilter(table) {
    var input = document.querySelector('input[data-filter="' + table.id + '"]');
    var select = document.querySelector('select[data-kind-filter="' + table.id + '"]');
    var words = input ? input.value.trim().toLowerCase().split(/\s+/).filter(Boolean) : [];
    var kind = select ? select.value : "";
    var rows = mainRows(table);
    var shown = 0;
    each(rows, function (r) {
      var text = r.getAttribute("data-search") || "";
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; }) && (!kind || r.getAttribute("data-kind") === kind);
      r.hidden = !ok;
      var conc = concOf(r);
      if (conc) { conc.hidden = !ok; }
      if (ok) { shown += 1; }
    });
    var out = document.querySelector('[data-shown="' + table.id + '"]');
    if (out) { out.textContent = "显示 shown " + shown + " / " + rows.length; }
  }

  function sortTable(button) {
    var th = button.closest("th");
    var table = button.closest("table");
    var key = button.getAttribute("data-sort");
    var numeric = NUMERIC[key] === 1;
    var now = th.getAttribute("aria-sort");
    var dir = now ? (now === "ascending" ? -1 : 1) : (numeric && key !== "rank" && key !== "first" && key !== "national" ? -1 : 1);
    each(table.querySelectorAll("thead th"), function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
    var items = mainRows(table).map(function (r, i) {
      var raw = r.getAttribute("data-" + key) || "";
      return { row: r, conc: concOf(r), i: i, v: numeric ? (raw === "" ? NaN : parseFloat(raw)) : raw };
    });
    items.sort(function (a, b) {
      if (numeric) {
        var an = isNaN(a.v), bn = isNaN(b.v);
        if (an || bn) { return an === bn ? a.i - b.i : (an ? 1 : -1); }  // empty cells last
        return a.v === b.v ? a.i - b.i : (a.v - b.v) * dir;
      }
      var c = a.v.localeCompare(b.v, "zh");
      return c === 0 ? a.i - b.i : c * dir;
    });
    var body = table.tBodies[0];
    each(items, function (x) { body.appendChild(x.row); if (x.conc) { body.appendChild(x.conc); } });
  }

  function kwicCommand(term) {
    var arg = /[\s"'$`\\]/.test(term) ? '"' + term.replace(/["\\$`]/g, "\\$&") + '"' : term;
    return "dangjian kwic " + arg + " --out RUN_DIR --csv " + (/^[^\s\/\\:*?"<>|]+$/.test(term) ? term : "kwic") + ".csv";
  }

  function concordance(row, set, i, colspan) {
    var lines = (data[set] || [])[i] || [];
    var term = row.getAttribute("data-term") || "";
    var tr = el("tr", "conc");
    var td = el("td");
    td.colSpan = colspan;
    var total = set === "terms" ? (data.counts || [])[i] : null;
    var note = el("p", "src");
    note.appendChild(document.createTextNode(
      "显示 " + lines.length + " 条语境" + (total ? "（共 " + total + " 次）" : "") + "，跨年份与文件选取 — showing " + lines.length +
      (total ? " of " + total : "") + " occurrences, spread across years and documents. 全部 all: "));
    note.appendChild(el("code", "", kwicCommand(term)));
    note.appendChild(document.createTextNode(" (RUN_DIR = 本报告所在文件夹 this report's folder)"));
    td.appendChild(note);
    if (lines.length) {
      var tbl = el("table", "kwic");
      var body = el("tbody");
      each(lines, function (line) {
        var doc = docs[line[0]] || ["", "", null];
        var r = el("tr");
        r.appendChild(el("td", "y", doc[2] === null ? "年份未知" : doc[2]));
        var d = el("td", "d");
        d.appendChild(el("span", "", "《" + doc[0] + "》"));
        d.appendChild(el("br"));
        d.appendChild(el("span", "path", doc[1]));
        r.appendChild(d);
        r.appendChild(el("td", "l", line[1]));
        r.appendChild(el("td", "m", line[2]));
        r.appendChild(el("td", "r", line[3]));
        body.appendChild(r);
      });
      tbl.appendChild(body);
      td.appendChild(tbl);
    }
    tr.appendChild(td);
    return tr;
  }

  function toggle(button) {
    var row = button.closest("tr");
    var open = concOf(row);
    var buttons = row.querySelectorAll("button.kwic");
    if (open) {
      open.parentNode.removeChild(open);
      each(buttons, function (b) { b.setAttribute("aria-expanded", "false"); });
      return;
    }
    var set = row.closest("table").getAttribute("data-set");
    var i = parseInt(row.getAttribute("data-i"), 10);
    row.parentNode.insertBefore(concordance(row, set, i, row.cells.length), row.nextSibling);
    each(buttons, function (b) { b.setAttribute("aria-expanded", "true"); });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button") : null;
    if (!button) { return; }
    if (button.classList.contains("kwic")) { toggle(button); }
    else if (button.hasAttribute("data-sort")) { sortTable(button); }
  });
  each(document.querySelectorAll("table.lookup"), function (table) {
    each(document.querySelectorAll('[data-filter="' + table.id + '"], [data-kind-filter="' + table.id + '"]'), function (input) {
      input.addEventListener("input", function () { applyFilter(table); });
      input.addEventListener("change", function () { applyFilter(table); });
    });
    applyFilter(table);
  });
  each(document.querySelectorAll(".needs-script"), function (e) { e.hidden = false; });
  each(document.querySelectorAll(".without-script"), function (e) { e.hidden = true; });
}());
