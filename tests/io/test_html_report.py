"""io.html_report: one self-contained page, every row kept, the user's text escaped."""

import chemexplain as cx
from chemexplain.io.html_report import render_report, write_report


def test_user_text_is_escaped_and_a_failed_row_keeps_its_place(pair, tmp_path):
    explanations = cx.explain(["CCO", "C1CC", "c1ccccc1Cl"], *pair, on_invalid="nan")
    rows = [
        ("<script>alert(1)</script>", explanations[0]),
        ("b&c", explanations[1]),
        (None, explanations[2]),
    ]
    page = render_report(rows, {"rows": 3, "ok": 2, "error": 1}, source="lib<1>.csv")
    assert "<script>alert(1)</script>" not in page  # an id cannot run in the reader's browser
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "b&amp;c" in page
    assert "lib&lt;1&gt;.csv" in page
    bodies = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(bodies) == 3  # one row per input, in order, the failed one included
    assert "C1CC" in bodies[1] and 'class="err"' in bodies[1] and "<svg" not in bodies[1]
    assert all("<svg" in bodies[i] for i in (0, 2)) and "c1ccccc1Cl" in bodies[2]
    assert "3 molecules scored: 2 ok, 1 with errors" in page
    write_report(tmp_path / "r.html", rows, {"rows": 3, "ok": 2, "error": 1})
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")


def test_a_signed_method_names_its_diverging_scale_in_the_targets_units(pair):
    signed = cx.explain("CCO", *pair, method="gradient_x_input")
    unsigned = cx.explain("CCO", *pair, method="mask")
    page = render_report([(None, signed)], {"rows": 1, "ok": 1, "error": 0}, vmax=0.5)
    assert "gradient_x_input contribution" in page and "blue = -0.5" in page
    assert "red = +0.5 or more (raises it)" in page
    page = render_report([(None, unsigned)], {"rows": 1, "ok": 1, "error": 0}, vmax=1.5)
    assert "full red = 1.5 or more" in page and "blue" not in page
