"""``ember profile --html FILE``: the report as one self-contained page (no network, no
external files): a bar chart of where each hot function's time went, the ranked table,
and each function's source with its verdict and, where it does not compile, the line
that stops it marked.

>>> "<svg" in chart([])
True
"""

from __future__ import annotations

import html
import linecache
import re

from ember.insight.profile.analyze import Row, share_text
from ember.insight.profile.report import breakdown_text, calls_text, summary
from ember.insight.profile.session import Report

#: (field of Row, legend label, colour): the parts of a function's time, in bar order.
PARTS = (
    ("own", "Python code (what compiling speeds up)", "#d9480f"),
    ("numpy", "NumPy", "#1971c2"),
    ("blocked", "I/O or waiting", "#868e96"),
    ("c_other", "other libraries and C code", "#7048e8"),
    ("callees", "callees", "#ffd43b"),
)
VERDICT_COLOURS = {"compile": "#2b8a3e", "does not compile": "#c92a2a", "not worth it": "#868e96"}
_ERROR_AT = re.compile(r":(\d+):(\d+): error:")

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#212529}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}
table{border-collapse:collapse;width:100%}th,td{padding:4px 8px;border-bottom:1px solid #dee2e6;
text-align:left;vertical-align:top}th{cursor:pointer;background:#f1f3f5}td.num{text-align:right;white-space:nowrap}
.verdict{font-weight:600}.legend span{display:inline-block;margin-right:1.2em}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
pre{background:#f8f9fa;padding:8px;overflow:auto;font-size:12.5px}
pre .bad{background:#ffe3e3;display:inline-block;width:100%}
.summary{font-size:1.1em;padding:10px;background:#ebfbee;border-left:4px solid #2b8a3e}
"""

# Sorting by a column header: the one piece of behaviour; it also marks the page ready
# (what the headless-browser test looks for).
_SCRIPT = """
document.querySelectorAll('th').forEach(function(th, col){
  th.addEventListener('click', function(){
    var body = th.closest('table').tBodies[0];
    var rows = Array.from(body.rows);
    var num = th.dataset.num === '1';
    rows.sort(function(a, b){
      var x = a.cells[col].dataset.v || a.cells[col].textContent;
      var y = b.cells[col].dataset.v || b.cells[col].textContent;
      return num ? parseFloat(y) - parseFloat(x) : x.localeCompare(y);
    });
    rows.forEach(function(r){ body.appendChild(r); });
  });
});
document.body.classList.add('ready');
"""


def page(report: Report) -> str:
    """The whole HTML document."""
    e = html.escape
    title = f"ember profile: {report.program}"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(title)}</h1>",
        f"<p>takes <b>{report.wall_s:.2f} s</b> (exit status {report.exit_code}); recorded "
        f"with {e(report.source)} (overhead {e(report.overhead_text)} of the profiled run, "
        "left out of the times)</p>",
        f"<p class='summary'>{e(summary(report, hint=False))}</p>",
        "<h2>Where the time goes</h2>",
        chart(report.rows),
        "<h2>Functions</h2>",
        _table(report.rows),
    ]
    for i, row in enumerate(report.rows, 1):
        parts.append(_function(i, row))
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts)


def chart(rows: list[Row]) -> str:
    """A horizontal bar per function, its length its time, split into its parts."""
    e = html.escape
    width, label_w, bar_h, gap = 1000, 220, 22, 8
    longest = max((r.total_s for r in rows), default=0.0) or 1.0
    scale = (width - label_w - 90) / longest
    height = len(rows) * (bar_h + gap) + 10
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
           "role='img' aria-label='time per function'>"]
    for i, r in enumerate(rows):
        y = 5 + i * (bar_h + gap)
        out.append(f"<text x='{label_w - 8}' y='{y + 15}' text-anchor='end' "
                   f"font-size='13'>{e(r.name)}</text>")
        x = float(label_w)
        for field, label, colour in PARTS:
            w = getattr(r, field) * r.total_s * scale
            if w >= 0.5:
                out.append(f"<rect class='part' x='{x:.1f}' y='{y}' width='{w:.1f}' "
                           f"height='{bar_h}' fill='{colour}'><title>{e(label)}: "
                           f"{share_text(getattr(r, field))}</title></rect>")
                x += w
        out.append(f"<text x='{x + 6:.1f}' y='{y + 15}' font-size='12'>{r.total_s:.3f} s "
                   f"({share_text(r.share)})</text>")
    out.append("</svg>")
    legend = "".join(f"<span><i style='background:{c}'></i>{e(label)}</span>"
                     for _, label, c in PARTS)
    return "".join(out) + f"<p class='legend'>{legend}</p>"


def _table(rows: list[Row]) -> str:
    e = html.escape
    head = ("<table id='functions'><thead><tr><th data-num='1'>#</th><th>function</th>"
            "<th>where</th><th data-num='1'>calls</th><th data-num='1'>time</th>"
            "<th>its time is</th><th>verdict</th><th>why</th></tr></thead><tbody>")
    body = []
    for i, r in enumerate(rows, 1):
        colour = VERDICT_COLOURS.get(r.verdict, "#495057")
        body.append(
            f"<tr><td class='num' data-v='{-i}'>{i}</td><td><a href='#f{i}'>{e(r.name)}</a></td>"
            f"<td>{e(r.where)}</td><td class='num'>{calls_text(r)}</td>"
            f"<td class='num' data-v='{r.total_s}'>{r.total_s:.3f} s</td>"
            f"<td>{e(breakdown_text(r.own, r.numpy, r.blocked, r.c_other, r.callees))}</td>"
            f"<td class='verdict' style='color:{colour}'>{e(r.verdict)}</td>"
            f"<td>{e(r.reason)}</td></tr>")
    return head + "".join(body) + "</tbody></table>"


def _function(i: int, row: Row) -> str:
    e = html.escape
    colour = VERDICT_COLOURS.get(row.verdict, "#495057")
    bad_line = None
    match = _ERROR_AT.search(row.reason)
    if row.verdict == "does not compile" and match:
        bad_line = int(match.group(1))
    lines = _source_lines(row)
    shown = []
    for number, text in lines:
        cell = f"{number:5d}  {e(text)}"
        shown.append(f"<span class='bad'>{cell}</span>" if number == bad_line else cell)
    detail = f"<pre>{e(row.detail)}</pre>" if row.detail else ""
    return (f"<h2 id='f{i}'>{i}. {e(row.name)} <small>({e(row.where)}, called with "
            f"{e(row.arg_types or 'no arguments')})</small></h2>"
            f"<p class='verdict' style='color:{colour}'>{e(row.verdict)}: {e(row.reason)}</p>"
            f"{detail}<pre>{chr(10).join(shown)}</pre>")


def _source_lines(row: Row, limit: int = 60) -> list[tuple[int, str]]:
    """The function's source lines (its def and its indented body)."""
    first = linecache.getline(row.filename, row.line)
    if not first:
        return []
    indent = len(first) - len(first.lstrip())
    out = [(row.line, first.rstrip("\n"))]
    n = row.line + 1
    while len(out) < limit:
        text = linecache.getline(row.filename, n)
        if not text:
            break
        stripped = text.strip()
        if stripped and len(text) - len(text.lstrip()) <= indent and not stripped.startswith(
                (")", "]", "}")):
            break
        out.append((n, text.rstrip("\n")))
        n += 1
    while out and not out[-1][1].strip():
        out.pop()
    return out
