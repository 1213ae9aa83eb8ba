/* pipefan logs --html: sorting and filtering of the report's tables.
 * The page shows everything without this script; it adds no markup
 * from data (textContent and attributes only) and fetches nothing. */
(function () {
  "use strict";
  function cellValue(td) {
    var v = td.getAttribute("data-v");
    if (v !== null && v !== "") return { num: true, v: Number(v) };
    return { num: false, v: td.textContent };
  }
  function sortBy(table, col, th) {
    var body = table.tBodies[0];
    if (!body) return;
    var dir = th.getAttribute("aria-sort") === "descending" ? 1 : -1;
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) heads[i].removeAttribute("aria-sort");
    th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a.cells[col]), y = cellValue(b.cells[col]);
      if (x.num && y.num) return (x.v - y.v) * dir;
      return String(x.v).localeCompare(String(y.v)) * dir;
    });
    for (var j = 0; j < rows.length; j++) body.appendChild(rows[j]);
  }
  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, col) {
      th.classList.add("sort");
      th.tabIndex = 0;
      th.title = "sort";
      th.addEventListener("click", function () { sortBy(table, col, th); });
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          sortBy(table, col, th);
        }
      });
    });
  }
  function makeFilterable(table) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "filter";
    box.placeholder = "filter rows";
    box.setAttribute("aria-label", "filter rows");
    var wrap = table.parentNode;
    wrap.parentNode.insertBefore(box, wrap);
    box.addEventListener("input", function () {
      var q = box.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
        tr.hidden = q !== "" && tr.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
  }
  var tables = document.querySelectorAll("table.t");
  Array.prototype.forEach.call(tables, function (t) {
    if (!t.tBodies[0] || t.tBodies[0].rows.length < 2) return;
    makeSortable(t);
    if (t.tBodies[0].rows.length > 5) makeFilterable(t);
  });
  document.documentElement.classList.add("js");
})();
