"""The report as one self-contained HTML page: the same tables and charts as the PDF.

Owns the page: inline CSS, each chart as inline SVG (report.charts), each table with its
caption and note, readable on a screen and printable. Every text is escaped (team names
came from devices); the page loads nothing from elsewhere. Never computes figures.
"""

from __future__ import annotations

from datetime import date
from html import escape

from kitchentable.office.report import words
from kitchentable.office.report.charts import chart, svg
from kitchentable.office.report.figures import Report
from kitchentable.office.report.tables import Table

STYLE = """
body { font-family: "Segoe UI", Helvetica, Arial, sans-serif; color: #1b1b1b; margin: 2rem auto;
  max-width: 60rem; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
p.period { color: #444; margin-top: 0; } p.note { font-size: .85rem; color: #444; }
table { border-collapse: collapse; margin: .6rem 0; min-width: 28rem; }
th, td { padding: .25rem .7rem; text-align: right; } th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 1px solid #000; } tbody tr:nth-child(even) { background: #f2f4f6; }
tr.total td { font-weight: bold; border-top: 1px solid #999; }
figure { margin: .5rem 0; max-width: 46rem; } figure svg { width: 100%; height: auto; }
"""


def render(report: Report, municipality: str = "") -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="nl"><head><meta charset="utf-8">',
        f"<title>{escape(words.title(municipality))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{escape(words.title(municipality))}</h1>",
        f'<p class="period">{escape(words.period(report.start, report.end))}</p>',
    ]
    parts += [f"<p>{escape(text)}</p>" for text in words.introduction(report, date.today())]
    for table in report.tables:
        parts.append(_section(table))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _section(table: Table) -> str:
    out = [f'<section id="{escape(table.key)}"><h2>{escape(table.title)}</h2>']
    drawing = chart(table)
    if drawing is not None:
        out.append(f'<figure role="img" aria-label="{escape(table.title)}">{svg(drawing)}</figure>')
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    out.append(f"<table><thead><tr><th></th>{head}</tr></thead><tbody>")
    for label, cells in table.rows:
        css = ' class="total"' if label == "Totaal" else ""
        values = "".join(f"<td>{escape(c.text())}</td>" for c in cells)
        out.append(f"<tr{css}><td>{escape(label)}</td>{values}</tr>")
    out.append("</tbody></table>")
    if table.note:
        out.append(f'<p class="note">{escape(table.note)}</p>')
    out.append("</section>")
    return "\n".join(out)
