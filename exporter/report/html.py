"""The report as one self-contained HTML file (filled in by a later step)."""

from __future__ import annotations

import html

from exporter.report.build import Report
from exporter.report.documents import to_markdown


def to_html(report: Report) -> str:
    """For now: the Markdown in a <pre> block."""
    return f"<!doctype html><meta charset=utf-8><pre>{html.escape(to_markdown(report))}</pre>\n"
