"""Evidence briefs for the clinic's blog writers: one per knee condition with relevant studies and an
overview, in Markdown and self-contained HTML, built from the warehouse's views only.

    write_briefs(settings, condition=None, formats=("md", "html"), out=None, progress=None) -> list[Path]
    render_brief(db_path, condition_or_None, "md" | "html") -> str
    overview_markdown(settings) -> str        # the overview's Markdown, e.g. for a Prefect artifact
    reading_grades(settings) -> {"knee_oa": 8.1, ..., "overview": 7.9}

The rules that decide what a brief says are in ``rules.py`` (and printed in each brief's footer).
"""

from .render import (brief_names, load_state, overview_markdown, reading_grade, reading_grades, render_brief,
                     write_briefs)

__all__ = ["brief_names", "load_state", "overview_markdown", "reading_grade", "reading_grades", "render_brief",
           "write_briefs"]
