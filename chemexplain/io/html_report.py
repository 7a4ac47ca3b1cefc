"""A self-contained HTML report of scored molecules: a table with inline SVG drawings.

One file, no external script, style sheet or image: it opens offline. Clicking
a column header sorts the table (prediction numerically).
"""

from __future__ import annotations

import html
import os

from chemexplain.chem.drawing import DEFAULT_VMAX, _vmax, draw_explanation
from chemexplain.files import write_atomically

__all__ = ["write_report"]

_SCRIPT = """
function sortBy(col, numeric) {
  const body = document.querySelector('#results tbody');
  const rows = Array.from(body.rows);
  const dir = body.dataset.col == col && body.dataset.dir == 'asc' ? 'desc' : 'asc';
  rows.sort((a, b) => {
    let x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
    if (numeric) { x = parseFloat(x); y = parseFloat(y);
      if (isNaN(x)) return 1; if (isNaN(y)) return -1; }
    return (x < y ? -1 : x > y ? 1 : 0) * (dir == 'asc' ? 1 : -1);
  });
  rows.forEach(r => body.appendChild(r));
  body.dataset.col = col; body.dataset.dir = dir;
}
"""

_STYLE = """
body { font-family: sans-serif; margin: 1.5em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: middle; }
th { cursor: pointer; background: #f3f3f3; }
td.err { color: #a00; }
code { font-size: 0.9em; word-break: break-all; }
"""


def write_report(path: str | os.PathLike, rows: list, counts: dict, **options) -> None:
    """Write the report atomically; ``OutputError`` on failure. ``rows``, ``counts`` and
    the ``options`` (``source``, ``vmax``) are :func:`render_report`'s."""
    write_atomically(path, render_report(rows, counts, **options))


def _domain_cell(e) -> tuple[str, str]:
    """(sort key, text) of the applicability-domain cell: '0.45, in domain (nearest CCO)'."""
    if not e.ok or e.in_domain is None:
        return "NaN", ""
    where = "in domain" if e.in_domain else "OUT of domain"
    return f"{e.max_similarity:.4f}", (
        f"{e.max_similarity:.2f}, {where} (nearest {e.nearest_training_smiles})"
    )


def render_report(rows: list, counts: dict, *, source: str = "", vmax: float | None = None) -> str:
    """The report page; ``rows`` is a list of (id or None, Explanation)."""
    esc = html.escape
    first = next((e for _, e in rows if e.ok), None)
    vmax = _vmax(first, vmax) if first is not None else (vmax or DEFAULT_VMAX)
    if first is not None and first.signed:
        scale = (
            f"their {esc(first.method)} contribution on one fixed scale for every molecule: "
            f"blue = -{vmax:g} {esc(first.value_units)} or less (lowers the prediction), white = 0, "
            f"red = +{vmax:g} or more (raises it)"
        )
    else:
        scale = (
            f"their weight on one fixed scale for every molecule: white = 0, full red = "
            f"{vmax:g} or more (1 = passed to the model unchanged)"
        )
    body = []
    for ident, e in rows:
        picture = draw_explanation(e, size=(300, 220), vmax=vmax, colorbar=False) if e.ok else ""
        picture = picture.split("?>", 1)[-1]  # drop the XML declaration inside HTML
        value = f"{e.prediction:.3f}" if e.ok else ""
        top = e.atoms_text() if e.ok else ""
        similar, domain = _domain_cell(e)
        status = (e.status + (f": {e.warning}" if e.warning else "")) if e.ok else e.error or ""
        body.append(
            "<tr>"
            f'<td data-v="{esc(str(ident or ""))}">{esc(str(ident or ""))}</td>'
            f'<td data-v="{esc(e.input)}"><code>{esc(e.input)}</code></td>'
            f'<td data-v="{value or "NaN"}">{e.value_text(units=False) if e.ok else ""}</td>'
            f'<td data-v="{esc(top)}">{esc(top)}</td>'
            f'<td data-v="{similar}">{esc(domain)}</td>'
            f'<td data-v="{e.status}" class="{"" if e.ok else "err"}">{esc(status)}</td>'
            f"<td>{picture}</td></tr>"
        )
    units = next((e.units for _, e in rows if e.ok), "")
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>chemexplain report {esc(source)}</title>
<style>{_STYLE}</style><script>{_SCRIPT}</script></head>
<body>
<h1>chemexplain: {esc(source)}</h1>
<p>{counts["rows"]} molecules scored: {counts["ok"]} ok, {counts["error"]} with errors.
The first {len(rows)} are shown. Prediction in {esc(units)}. Atoms are colored by
{scale}. Similarity to training: the largest Tanimoto similarity (Morgan radius 2)
to the model's training molecules; out of domain below its calibrated threshold, where
errors are larger, or when larger than every training molecule (Morgan bits do not see
chain length). Click a column header to sort.</p>
<table id="results"><thead><tr>
<th onclick="sortBy(0, false)">id</th><th onclick="sortBy(1, false)">SMILES</th>
<th onclick="sortBy(2, true)">prediction</th><th onclick="sortBy(3, false)">strongest atoms</th>
<th onclick="sortBy(4, true)">similarity to training</th>
<th onclick="sortBy(5, false)">status</th><th>drawing</th>
</tr></thead><tbody>
{chr(10).join(body)}
</tbody></table></body></html>
"""
    return page
