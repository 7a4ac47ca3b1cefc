"""The benchmark scripts' README writer: one marked block replaced, the rest kept byte for byte."""

import pytest

from chemexplain.io.markdown_blocks import replace_block


def test_replace_block_keeps_everything_outside_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# B\n\nintro\n<!-- a:start -->\nold a\n<!-- a:end -->\ntail\n")
    replace_block(readme, "a", "new a\n| x |")
    assert (
        readme.read_text() == "# B\n\nintro\n<!-- a:start -->\nnew a\n| x |\n<!-- a:end -->\ntail\n"
    )
    replace_block(readme, "b", "b body")
    assert readme.read_text().endswith("tail\n\n<!-- b:start -->\nb body\n<!-- b:end -->\n")
    assert not list(tmp_path.glob(".*partial*"))  # the temporary file is gone


def test_a_missing_file_is_created_and_an_unclosed_block_refused(tmp_path):
    fresh = tmp_path / "new.md"
    replace_block(fresh, "x", "body")
    assert fresh.read_text() == "# Benchmarks\n\n<!-- x:start -->\nbody\n<!-- x:end -->\n"
    broken = tmp_path / "broken.md"
    broken.write_text("<!-- x:start -->\nno end\n")
    with pytest.raises(ValueError, match="x:end"):
        replace_block(broken, "x", "body")
    assert broken.read_text() == "<!-- x:start -->\nno end\n"
