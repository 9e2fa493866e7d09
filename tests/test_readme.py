"""The README is generated from docs/ and the code, so it cannot drift: stale means failing."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_readme_is_up_to_date():
    done = subprocess.run([sys.executable, str(REPO / "docs" / "build_readme.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr + " (edit docs/*.md, then `make readme`)"


def test_readme_links_point_at_files_that_exist():
    import re
    text = (REPO / "README.md").read_text()
    for target in re.findall(r"\]\(([^)\s#]+)", text):
        if not target.startswith(("http", "mailto:")):
            assert (REPO / target).exists(), f"README links to missing {target}"
