"""The README tells the truth: its contents list its sections, its links lead somewhere,
and the error lines it shows are the ones the exporter prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from exporter.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

SAMPLE_CONFIG = """\
backend:
  url: http://127.0.0.1:9090
slos:
  # The availability of checkout: requests answered without a server error.
  # (Lines 4 to 11 are comments so the sample's line numbers are those of the README.)
  #
  #
  #
  #
  #
  #
  - name: checkout-availability
    service: checkout
    objective: 100
    sli:
      ratio:
        good: http_requests_total{service="checkout",code!~"5.."}
        total: http_requests_total{service="checkout"}
  - name: checkout-errors
    sli:
      ratio:
        goood: http_requests_total{service="checkout",code!~"5.."}
        total: http_requests_total{service="checkout"}
    service: checkout
    objective: 99.5
"""


def _anchor(title: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def test_the_contents_list_every_section_in_order():
    """Every ## and ### heading is in the contents, in the order of the text, and every
    entry of the contents leads to a heading."""
    headings = re.findall(r"(?m)^#{2,3} (.+)$", README)
    body = [h for h in headings if h != "Contents"]
    contents = README[
        README.index("## Contents") : README.index("\n## ", README.index("## Contents") + 1)
    ]
    anchors = re.findall(r"\]\(#([^)]+)\)", contents)
    assert anchors == [_anchor(h) for h in body]


@pytest.mark.parametrize(
    "target",
    sorted(set(re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", README))),
)
def test_every_local_link_leads_to_a_file(target: str):
    """A link to a file of the repository names one that exists."""
    assert (ROOT / target).exists(), target


def test_the_sample_errors_are_what_validate_prints(tmp_path, capsys, monkeypatch):
    """The two error lines the README shows under "Errors look like this" are, word for
    word, what `slo-exporter validate` prints for such a file."""
    start = README.index("```\n", README.index("Errors look like this")) + 4
    block = README[start : README.index("\n```", start)]
    shown = block.splitlines()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "slos.yaml").write_text(SAMPLE_CONFIG)
    assert main(["validate", "-c", "slos.yaml"]) == 1
    printed = capsys.readouterr().err.splitlines()
    assert printed == shown
