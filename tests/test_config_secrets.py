"""Secrets in the config never reach any output: URL passwords however written, and
header values written inline (``show`` prints them as ``<redacted>``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from config_text import GOOD, problems

from exporter.cli import main
from exporter.config import load_config
from exporter.promql.client import secret_fragments
from exporter.settings import BackendSettings, safe_url, url_password

SOURCE = "c.yaml"


PART_A, PART_B = "Zq81xv", "Wp44ty"
"""Two halves of a password; neither may appear in any output."""

USERINFO = [
    f"http://u:{PART_A}/{PART_B}@127.0.0.1:9090",
    f"http://u:{PART_A}@{PART_B}@127.0.0.1:9090",
    f"http://u:{PART_A}:{PART_B}@127.0.0.1:9090",
    f"http://u:{PART_A}?{PART_B}@127.0.0.1:9090",
    f"http://u:{PART_A}#{PART_B}@127.0.0.1:9090",
    f"https://{PART_A}%2F{PART_B}@127.0.0.1/prometheus",
    f"u:{PART_A}/{PART_B}@127.0.0.1:9090",
    f"//u:{PART_A}/{PART_B}@127.0.0.1:9090",
]


def _without_secret(lines: object) -> bool:
    text = str(lines)
    return PART_A not in text and PART_B not in text


@pytest.mark.parametrize("url", USERINFO)
def test_a_backend_url_with_a_password_is_refused_without_showing_it(url: str):
    """However the password is written (a '/', '@', ':', '?' or '#' in it, no scheme),
    the refusal names the field and hides the password."""
    found = problems(GOOD.replace("http://127.0.0.1:9090", f"'{url}'"))
    assert any(p.startswith(f"{SOURCE}:2: backend.url: ") for p in found), found
    assert _without_secret(found), found


@pytest.mark.parametrize("url", USERINFO)
def test_a_scrape_url_with_a_password_is_refused_without_showing_it(url: str):
    """A scrape target's URL is hidden the same way."""
    scrape = f"source:\n  scrape:\n    url: '{url}/metrics'\n"
    found = problems(scrape + GOOD.partition("slos:\n")[1] + GOOD.partition("slos:\n")[2])
    assert any(p.startswith(f"{SOURCE}:3: source.scrape.url: ") for p in found), found
    assert _without_secret(found), found


@pytest.mark.parametrize("url", USERINFO)
def test_safe_url_hides_the_userinfo_however_written(url: str):
    """The one function that makes a URL printable keeps the host and drops the password."""
    shown = BackendSettings(url=url).safe_url
    assert _without_secret(shown), shown
    assert "127.0.0.1" in shown


@pytest.mark.parametrize("command", ["show", "convert"])
@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Authorization", f"Bearer {PART_A}{PART_B}"),
        ("authorization", f"Basic {PART_A}{PART_B}"),
        ("X-Api-Key", f"{PART_A}{PART_B}"),
        ("Private-Token", f"{PART_A}{PART_B}"),
    ],
)
def test_show_redacts_secret_header_values(
    command: str, header: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """`show` and `convert` print <redacted> for a secret header written inline, and the
    rest as is."""
    path = tmp_path / "c.yaml"
    path.write_text(
        GOOD.replace("9090\n", f"9090\n  headers: {{X-Scope-OrgID: team-a, {header}: '{value}'}}\n")
    )
    assert main([command, "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert _without_secret(out), out
    assert yaml.safe_load(out)["backend"]["headers"] == {
        "X-Scope-OrgID": "team-a",
        header: "<redacted>",
    }
    assert load_config(path).backend.all_headers()[header] == value


@pytest.mark.parametrize("command", ["validate", "eval", "rules", "show", "run", "convert"])
def test_commands_refuse_a_password_in_the_url_without_printing_it(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    """validate, eval, rules, show, run and convert exit 1 with one line that hides the
    password."""
    path = tmp_path / "c.yaml"
    path.write_text(GOOD.replace("http://127.0.0.1:9090", USERINFO[0]))
    assert main(["--log-format", "json", command, "-c", str(path)]) == 1
    captured = capsys.readouterr()
    assert _without_secret(captured.out + captured.err), captured
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith(f"{path}:2: backend.url: ")


@pytest.mark.parametrize(
    ("url", "password"),
    [
        ("http://u:pa/ss@prometheus:9090", "pa/ss"),
        ("http://u:p@ss@prometheus:9090", "p@ss"),
        ("http://u:a:b@prometheus:9090/prefix", "a:b"),
        ("http://u@prometheus:9090", ""),
        ("http://prometheus:9090", ""),
    ],
)
def test_the_password_redacted_is_the_one_safe_url_drops(url: str, password: str):
    """The client blanks exactly the password that safe_url leaves out of printed URLs,
    however the password is written."""
    assert url_password(url) == password
    if password:
        assert password not in safe_url(url)
    assert (password in secret_fragments(BackendSettings(url=url))) is bool(password)
