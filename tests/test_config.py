"""The config loader: good files become SLO objects, every mistake is one clear line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from config_text import load_text

from exporter.config import load_config
from exporter.domain.model import (
    BurnRateRule,
    LatencySLI,
    QuerySLI,
    RatioSLI,
    StatusPolicy,
)
from exporter.errors import ConfigError
from exporter.settings import Settings
from exporter.yaml_lines import YamlSyntaxError, load_yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "c.yaml"
M, H, D = 60, 3600, 86400

# Lines 1-3 of every broken-config case below; the SLO list starts on line 4.
HEAD = """\
backend:
  url: http://127.0.0.1:9090
slos:
"""
RATIO = """\
  sli:
    ratio:
      good: http_requests_total{code!~"5.."}
      total: http_requests_total
"""


def config(body: str) -> str:
    """``HEAD`` followed by ``body`` (an SLO list, dedented), so body line 1 is file line 4."""
    return HEAD + textwrap.dedent(body)


def slo(extra: str = "", sli: str = RATIO, objective: str = "99.9") -> str:
    """One SLO on lines 4-6 (name, service, objective), then ``extra`` from line 7, then ``sli``."""
    return config(
        f"- name: checkout\n  service: checkout\n  objective: {objective}\n" + extra + sli
    )


def problems(text: str) -> tuple[str, ...]:
    """The problems ConfigError lists for ``text``; fails if it loads."""
    with pytest.raises(ConfigError) as caught:
        load_text(text, SOURCE)
    return caught.value.problems


# ---- good configs -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["example.yaml", "demo.yaml"])
def test_shipped_configs_load(name: str):
    """config/example.yaml and config/demo.yaml load into the four documented SLOs."""
    settings = load_config(ROOT / "config" / name)
    assert [s.name for s in settings.slos] == [
        "checkout-availability",
        "checkout-errors",
        "checkout-latency",
        "search-availability",
    ]
    assert settings.backend.url == "http://127.0.0.1:9090"
    assert settings.source == ROOT / "config" / name
    latency = settings.slos[2]
    assert latency.sli == LatencySLI('http_request_duration_seconds{service="checkout"}', 0.3)
    assert settings.slos[3].period == 7 * D


def test_demo_evaluates_every_15_seconds():
    """The demo config evaluates every 15s, the example at the 30s default."""
    assert load_config(ROOT / "config" / "demo.yaml").evaluation.interval == 15
    assert load_config(ROOT / "config" / "example.yaml").evaluation.interval == 30


FULL = """\
backend:
  url: https://mimir.example.com/prometheus/
  timeout: 5s
  headers: {X-Scope-OrgID: team-a}
  tls: {insecure_skip_verify: true}
evaluation:
  interval: 15s
  concurrency: 4
  delay: 1m
defaults:
  windows: [5m, 1h]
  status: {window: 2h, warning: 1.4}
slos:
  - name: checkout-availability
    service: checkout
    description: Checkout without server errors.
    objective: 99.9
    labels: {team: payments, tier: "1"}
    sli:
      ratio:
        good: http_requests_total{service="checkout",code!~"5.."}
        total: http_requests_total{service="checkout"}
  - name: search-availability
    service: search
    objective: 99
    period: 7d
    status: {critical: 3}
    sli:
      query:
        bad: sum(increase(search_errors_total[{{window}}]))
        total: sum(increase(search_requests_total[{{ window }}]))
  - name: checkout-latency
    service: checkout
    objective: 98.5
    windows: [10m]
    alerts:
      - {severity: page, long_window: 1h, short_window: 5m, burn_rate: 10}
      - {severity: ticket, long_window: 6h, short_window: 30m, budget_percent: 5}
    sli:
      latency: {histogram: http_request_duration_seconds, threshold: 0.25}
  - name: checkout-errors
    service: checkout
    objective: 99.5
    period: 28d
    alerts: []
    sli:
      ratio:
        bad: http_requests_total{code=~"5.."}
        total: http_requests_total
"""


@pytest.fixture
def full() -> Settings:
    """The FULL config, loaded."""
    return load_text(FULL)


def test_backend_and_evaluation_settings(full: Settings):
    """Backend and evaluation sections become BackendSettings and EvaluationSettings."""
    backend = full.backend
    assert backend.url == "https://mimir.example.com/prometheus"
    assert backend.timeout == 5.0
    assert dict(backend.headers) == {"X-Scope-OrgID": "team-a"}
    assert dict(backend.secret_headers) == {}
    assert backend.tls_verify is False
    assert (full.evaluation.interval, full.evaluation.concurrency) == (15, 4)
    assert full.evaluation.delay == 60
    assert full.source == Path("config.yaml")  # the file it was read from


def test_default_alerts_scale_with_the_period(full: Settings):
    """Default alerts are the workbook's: 14.4/6/3/1 for 30 days, scaled for 7 days."""
    thirty, seven = full.slos[0], full.slos[1]
    windows = [(r.severity, r.long_window, r.short_window) for r in thirty.alerts]
    assert windows == [
        ("page", H, 5 * M),
        ("page", 6 * H, 30 * M),
        ("ticket", D, 2 * H),
        ("ticket", 3 * D, 6 * H),
    ]
    assert [r.factor for r in thirty.alerts] == pytest.approx([14.4, 6, 3, 1])
    assert [r.factor for r in seven.alerts] == pytest.approx([3.36, 1.4, 0.7, 0.7 / 3])


def test_windows_are_the_sorted_union(full: Settings):
    """SLO windows = its windows, the period, every alert window and the status window."""
    thirty = full.slos[0]
    alert_windows = {5 * M, 30 * M, H, 2 * H, 6 * H, D, 3 * D}
    assert thirty.windows == tuple(sorted({5 * M, H, 30 * D, 2 * H} | alert_windows))
    assert full.slos[1].windows == tuple(sorted({5 * M, H, 7 * D, 2 * H} | alert_windows))
    assert full.slos[2].windows == (5 * M, 10 * M, 30 * M, H, 2 * H, 6 * H, 30 * D)
    assert full.slos[3].windows == (5 * M, H, 2 * H, 28 * D)


def test_explicit_alerts_and_disabled_alerts(full: Settings):
    """burn_rate is kept as is, budget_percent is scaled, and alerts: [] disables alerts."""
    page, ticket = full.slos[2].alerts
    assert page == BurnRateRule("page", H, 5 * M, 10.0)
    assert (ticket.severity, ticket.long_window, ticket.short_window) == ("ticket", 6 * H, 30 * M)
    assert ticket.factor == pytest.approx(5 / 100 * 30 * D / (6 * H))
    assert full.slos[3].alerts == ()


def test_status_overrides_merge_with_defaults(full: Settings):
    """defaults.status fills the built-in policy; an SLO's partial status fills from that."""
    assert full.slos[0].status == StatusPolicy(window=2 * H, critical=2, warning=1.4, attention=1)
    assert full.slos[1].status == StatusPolicy(window=2 * H, critical=3, warning=1.4, attention=1)


def test_slis_objectives_and_labels(full: Settings):
    """Each SLI kind becomes its domain object; labels are kept, read-only."""
    first, search, latency, errors = full.slos
    assert first.sli == RatioSLI(
        total='http_requests_total{service="checkout"}',
        good='http_requests_total{service="checkout",code!~"5.."}',
    )
    assert errors.sli == RatioSLI(
        total="http_requests_total", bad='http_requests_total{code=~"5.."}'
    )
    assert search.sli == QuerySLI(
        total="sum(increase(search_requests_total[{{ window }}]))",
        bad="sum(increase(search_errors_total[{{window}}]))",
    )
    assert latency.sli == LatencySLI("http_request_duration_seconds", 0.25)
    assert (first.objective, search.objective, first.period) == (99.9, 99.0, 30 * D)
    assert dict(first.labels) == {"team": "payments", "tier": "1"}
    assert dict(search.labels) == {}
    with pytest.raises(TypeError):
        first.labels["team"] = "other"  # type: ignore[index]


@pytest.mark.parametrize(
    ("evaluation", "delay"),
    [("delay: 0s", 0), ("delay: 0", 0), ("delay: 30s", 30), ("interval: 1m", 0)],
)
def test_delay_may_be_zero(evaluation: str, delay: int):
    """evaluation.delay accepts zero (written 0 or 0s), unlike other durations."""
    text = slo().replace("slos:\n", f"evaluation: {{{evaluation}}}\nslos:\n")
    assert load_text(text).evaluation.delay == delay


# ---- broken configs ---------------------------------------------------------------

LATENCY = """\
  sli:
    latency:
      histogram: http_request_duration_seconds
      threshold: {threshold}
"""
QUERY = """\
  sli:
    query:
      good: {good}
      total: sum(increase(x_total[{{{{window}}}}]))
"""


def latency(threshold: str) -> str:
    """An SLO whose latency threshold (file line 10) is ``threshold``."""
    return slo(sli=LATENCY.format(threshold=threshold))


def ratio(good: str = 'http_requests_total{code!~"5.."}', extra: str = "") -> str:
    """An SLO whose ratio SLI has ``good`` on file line 9 and ``extra`` lines after total."""
    return slo(
        sli=f"  sli:\n    ratio:\n      good: {good}\n      total: http_requests_total\n{extra}"
    )


BROKEN: list[tuple[str, str, int | None, str]] = [
    # (id, config text, expected line (None: no line), part of the message)
    (
        "unknown-field-suggests",
        slo("  objectve: 99\n"),
        7,
        "unknown field 'objectve' (did you mean 'objective'?)",
    ),
    (
        "unknown-top-level-field",
        HEAD.replace("slos:", "slo:") + "  - {}\n",
        3,
        "unknown field 'slo' (did you mean 'slos'?)",
    ),
    (
        "synonym-from-other-tools",
        slo("  goal: 0.999\n"),
        7,
        "unknown field 'goal' (did you mean 'objective'?)",
    ),
    (
        "missing-total",
        ratio(extra="").replace("      total: http_requests_total\n", ""),
        8,
        "sli.ratio: missing required field 'total'",
    ),
    ("missing-sli", slo(sli=""), 4, "slos[0] \"checkout\": missing required field 'sli'"),
    ("objective-zero", slo(objective="0"), 6, "between 0 and 100"),
    ("objective-hundred", slo(objective="100"), 6, "would leave no error budget"),
    ("objective-percent-string", slo(objective='"99.9%"'), 6, "write 99.9, not 99.9%"),
    ("objective-quoted", slo(objective="'99.9'"), 6, "write 99.9 without quotes"),
    (
        "duplicate-slo-name",
        slo() + "- name: checkout\n  service: s\n  objective: 99\n" + RATIO,
        11,
        "slos[1] \"checkout\": name: duplicate SLO name 'checkout': slos[0] on line 4",
    ),
    (
        "duplicate-yaml-key",
        slo("  service: other\n"),
        7,
        "key 'service' is given twice (first on line 5)",
    ),
    ("duration-words", slo("  period: 5 minutes\n"), 7, "period: '5 minutes' is not a duration"),
    ("duration-zero", slo("  period: 0m\n"), 7, "must be longer than zero"),
    ("duration-no-unit", slo("  period: 30\n"), 7, "30 has no unit"),
    ("selector-with-range", ratio("http_requests_total[5m]"), 9, "sli.ratio.good: give a plain"),
    ("selector-unparsable", ratio("'x{code=\"5\"'"), 9, "sli.ratio.good: not valid PromQL"),
    ("selector-aggregation", ratio("sum(x)"), 9, "not an aggregation"),
    (
        "histogram-bucket-suffix",
        slo(sli=LATENCY.format(threshold="0.3").replace("seconds\n", "seconds_bucket\n")),
        9,
        "sli.latency.histogram: give the histogram's base name",
    ),
    (
        "template-without-window",
        slo(sli=QUERY.format(good="sum(rate(x[5m]))")),
        9,
        "sli.query.good: the query must use {{window}}",
    ),
    (
        "template-sloth-placeholder",
        slo(sli=QUERY.format(good="'sum(increase(x[{{.window}}]))'")),
        9,
        "unknown placeholder {{.window}}",
    ),
    (
        "good-and-bad",
        ratio(extra="      bad: y\n"),
        8,
        "sli.ratio: give either 'good' or 'bad', not both",
    ),
    (
        "neither-good-nor-bad",
        slo(sli="  sli:\n    ratio:\n      total: x\n"),
        8,
        "sli.ratio: give 'good' or 'bad'",
    ),
    (
        "two-sli-kinds",
        slo(sli=RATIO + "    latency: {histogram: h, threshold: 0.3}\n"),
        7,
        "sli: give only one of 'ratio', 'latency', 'query', ",
    ),
    ("no-sli-kind", slo(sli="  sli: {}\n"), 7, "sli: give one of 'ratio', 'latency', 'query', "),
    (
        "sli-kind-from-sloth",
        slo(sli="  sli:\n    events: {}\n"),
        8,
        "unknown field 'events' (did you mean 'query'?)",
    ),
    ("threshold-word", latency("fast"), 10, "threshold must be a number of seconds matching"),
    ("threshold-zero", latency("0"), 10, "histogram bucket boundary, e.g. 0.3; got 0"),
    ("threshold-negative", latency("-1"), 10, "e.g. 0.3; got -1"),
    ("threshold-bool", latency("true"), 10, "e.g. 0.3; got the boolean true"),
    ("label-reserved", slo("  labels: {severity: x}\n"), 7, "label name 'severity' is reserved"),
    ("label-internal", slo("  labels: {__name__: x}\n"), 7, "names starting with __ are internal"),
    (
        "label-invalid",
        slo("  labels:\n    team-name: x\n"),
        8,
        "label name 'team-name' is not valid",
    ),
    ("label-value-number", slo("  labels:\n    tier: 1\n"), 8, "labels.tier: expected text"),
    (
        "short-window-not-shorter",
        slo("  alerts:\n  - severity: page\n    long_window: 1h\n    short_window: 1h\n"),
        10,
        "alerts[0].short_window: short_window must be shorter than long_window",
    ),
    (
        "budget-and-burn-rate",
        slo(
            "  alerts:\n"
            "  - {severity: page, long_window: 1h, short_window: 5m, burn_rate: 14.4}\n"
            "  - {severity: page, long_window: 1h, short_window: 5m, burn_rate: 1,"
            " budget_percent: 2}\n"
        ),
        9,
        "alerts[1]: give either 'budget_percent' or 'burn_rate', not both",
    ),
    (
        "neither-budget-nor-burn-rate",
        slo("  alerts:\n  - {severity: page, long_window: 1h, short_window: 5m}\n"),
        8,
        "alerts[0]: give 'budget_percent'",
    ),
    ("alerts-empty-value", slo("  alerts:\n"), 7, "write 'alerts: []' to disable alerts"),
    (
        "status-out-of-order",
        slo("  status: {warning: 3}\n"),
        7,
        "status: thresholds must satisfy critical >= warning >= attention",
    ),
    ("slo-name-invalid", slo().replace("name: checkout", "name: check out"), 4, "name 'check out'"),
    ("slos-empty", HEAD + "  []\n", 3, "slos: no SLOs listed"),
    ("slo-not-mapping", HEAD + "- checkout\n", 4, "slos[0]: expected a mapping with fields name"),
    (
        "backend-timeout",
        slo().replace("9090\n", "9090\n  timeout: fast\n"),
        3,
        "backend.timeout: 'fast' is not a duration",
    ),
    (
        "backend-url-scheme",
        slo().replace("http://127.0.0.1:9090", "127.0.0.1:9090"),
        2,
        "backend.url: url must start with http:// or https://",
    ),
    ("backend-url-api-path", slo().replace("9090", "9090/api/v1/query"), 2, "without /api/v1"),
    ("backend-missing", slo().replace(HEAD, "slos:\n"), 1, "missing required field 'backend'"),
    (
        "concurrency-zero",
        slo().replace("slos:\n", "evaluation:\n  concurrency: 0\nslos:\n"),
        4,
        "evaluation.concurrency: concurrency must be a whole number",
    ),
    (
        "token-env-missing",
        slo().replace("9090\n", "9090\n  bearer_token:\n    env: SLO_TEST_NO_SUCH_VAR\n"),
        4,
        "backend.bearer_token.env: environment variable SLO_TEST_NO_SUCH_VAR is not set",
    ),
    (
        "token-file-missing",
        slo().replace("9090\n", "9090\n  bearer_token: {file: /nonexistent/token}\n"),
        3,
        "backend.bearer_token.file: cannot read '/nonexistent/token'",
    ),
    (
        "bearer-and-basic-auth",
        slo().replace(
            "9090\n",
            "9090\n  bearer_token: {env: A}\n  basic_auth: {username: u, password: {env: B}}\n",
        ),
        4,
        "backend.basic_auth: set either bearer_token or basic_auth, not both",
    ),
    (
        "authorization-header-and-token",
        slo().replace("9090\n", "9090\n  headers: {Authorization: x}\n  bearer_token: {env: A}\n"),
        4,
        "backend.bearer_token: set either bearer_token or an Authorization header, not both",
    ),
    (
        "secret-inline-in-yaml",
        slo().replace("9090\n", "9090\n  basic_auth: {username: u, password: hunter2}\n"),
        3,
        "backend.basic_auth.password: expected {file: PATH} or {env: VAR_NAME}, got text",
    ),
    ("yaml-syntax", slo().replace("objective: 99.9", "objective: [99.9"), 7, "invalid YAML"),
    ("yaml-tab", slo().replace("  service", "\tservice"), 5, "not tabs"),
    ("empty-file", "", None, "the config is empty"),
    ("only-comments", "# nothing yet\n", None, "the config is empty"),
    ("top-level-list", "- backend\n- slos\n", 1, "the top level must be a mapping"),
]


@pytest.mark.parametrize(
    ("text", "line", "fragment"), [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_broken_config_names_line_and_problem(
    text: str, line: int | None, fragment: str, monkeypatch: pytest.MonkeyPatch
):
    """Each mistake is reported on its YAML line, with a plain message, one line per problem."""
    monkeypatch.delenv("SLO_TEST_NO_SUCH_VAR", raising=False)
    found = problems(text)
    prefix = f"{SOURCE}: " if line is None else f"{SOURCE}:{line}:"
    assert any(p.startswith(prefix) and fragment in p for p in found), found
    assert all("\n" not in p and p.startswith(f"{SOURCE}") for p in found)
    assert not any("Value error" in p or "Input should" in p for p in found), found


def test_problems_are_reported_together_in_line_order():
    """All problems of a file come in one ConfigError, sorted by line, joined by newlines."""
    text = slo(
        "  period: soon\n  labels: {le: x}\n",
        sli=LATENCY.format(threshold="fast"),
    ).replace("9090\n", "9090\n  timeout: 0s\n")
    with pytest.raises(ConfigError) as caught:
        load_text(text, SOURCE)
    found = caught.value.problems
    assert [p.split(":")[1] for p in found] == ["3", "8", "9", "13"]
    assert str(caught.value) == "\n".join(found)


def test_backend_secrets_are_checked_next_to_broken_slos(monkeypatch: pytest.MonkeyPatch):
    """A missing token variable is reported even when an SLO is invalid too."""
    monkeypatch.delenv("SLO_TEST_NO_SUCH_VAR", raising=False)
    text = slo(objective="100").replace(
        "9090\n", "9090\n  bearer_token: {env: SLO_TEST_NO_SUCH_VAR}\n"
    )
    found = problems(text)
    assert len(found) == 2
    assert found[0].startswith("c.yaml:3: backend.bearer_token.env: environment variable")
    assert found[1].startswith('c.yaml:7: slos[0] "checkout": objective: ')


def test_slo_problems_name_the_slo_and_field():
    """Inside an SLO the line reads FILE:LINE: slos[i] "name": field.path: message."""
    (problem,) = problems(latency("fast"))
    assert problem == (
        'c.yaml:10: slos[0] "checkout": sli.latency.threshold: threshold must be a number of '
        "seconds matching a histogram bucket boundary, e.g. 0.3; got the string 'fast'"
    )


def test_unreadable_file_is_one_line(tmp_path: Path):
    """A missing file is one problem naming the file and the reason."""
    path = tmp_path / "missing.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == (
        f"{path}: cannot read the config file: No such file or directory",
    )


def test_syntax_error_has_line_and_column():
    """A YAML syntax error is reported as FILE:LINE:COLUMN."""
    (problem,) = problems("backend:\n  url: http://x\n  timeout: [1s\n")
    assert problem.startswith("c.yaml:4:1: invalid YAML: ")


# ---- secrets --------------------------------------------------------------------

SECRET = "s3cr3t-Zq81"


def backend_with(auth: str) -> str:
    """A valid config whose backend has the ``auth`` lines."""
    return slo().replace("9090\n", "9090\n" + textwrap.indent(textwrap.dedent(auth), "  "))


def test_token_file_becomes_secret_header(tmp_path: Path):
    """A bearer token file (trailing newline stripped, path relative to the config) is a secret."""
    (tmp_path / "token").write_text(SECRET + "\n")
    path = tmp_path / "slos.yaml"
    path.write_text(backend_with("bearer_token: {file: token}\n"))
    settings = load_config(path)
    assert settings.backend.secret_headers == {"Authorization": f"Bearer {SECRET}"}
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)


def test_env_password_becomes_basic_auth(monkeypatch: pytest.MonkeyPatch):
    """basic_auth reads the password from the environment into a secret header only."""
    monkeypatch.setenv("SLO_TEST_PASSWORD", SECRET)
    settings = load_text(
        backend_with("basic_auth: {username: u, password: {env: SLO_TEST_PASSWORD}}\n")
    )
    assert settings.backend.secret_headers["Authorization"].startswith("Basic ")
    assert settings.backend.all_headers()["Authorization"] == "Basic dTpzM2NyM3QtWnE4MQ=="
    assert SECRET not in repr(settings)


def test_authorization_header_is_kept_secret():
    """An Authorization header written in headers is moved to the secret headers."""
    settings = load_text(backend_with(f"headers: {{Authorization: Bearer {SECRET}}}\n"))
    assert dict(settings.backend.headers) == {}
    assert settings.backend.secret_headers == {"Authorization": f"Bearer {SECRET}"}
    assert SECRET not in repr(settings)


@pytest.mark.parametrize(
    ("auth", "fragment"),
    [
        ("bearer_token: {env: SLO_TEST_TOKEN}\n", None),
        ("bearer_token: {file: TOKEN_FILE}\n", None),
        ("basic_auth: {username: u, password: {env: SLO_TEST_TOKEN}}\n", None),
        (f"bearer_token: {SECRET}\n", "never write the secret itself into the config"),
        (f"headers: {{X-Api-Key: [{SECRET}]}}\n", "header value must be text"),
    ],
)
def test_secrets_never_appear_in_errors(
    auth: str, fragment: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A secret, read or written inline, is in no ConfigError text, even next to other errors."""
    monkeypatch.setenv("SLO_TEST_TOKEN", SECRET)
    token_file = tmp_path / "token"
    token_file.write_text(SECRET + "\n")
    text = backend_with(auth.replace("TOKEN_FILE", str(token_file)))
    found = problems(text.replace("objective: 99.9", "objective: 100"))
    assert not any(SECRET in p for p in found), found
    if fragment is not None:
        assert any(fragment in p for p in found), found


@pytest.mark.parametrize(
    ("content", "fragment"),
    [("", "is empty"), ("two words\n", "must be one word"), ("\n\n", "is empty")],
)
def test_bad_token_file_content_is_not_shown(tmp_path: Path, content: str, fragment: str):
    """A token file that is empty or has spaces is an error that does not quote the file."""
    token_file = tmp_path / "token"
    token_file.write_text(content)
    found = problems(backend_with(f"bearer_token: {{file: {token_file}}}\n"))
    assert any(fragment in p for p in found), found
    assert not any("two words" in p for p in found)


# ---- YAML line numbers ----------------------------------------------------------


def test_yaml_lines_for_keys_and_items():
    """Every key and list item has its 1-based line; lookups fall back to the nearest ancestor."""
    doc = load_yaml("a:\n  - x: 1\n    y: 2\n  -\n    x: 3\nb: {c: 4}\n")
    assert doc.data == {"a": [{"x": 1, "y": 2}, {"x": 3}], "b": {"c": 4}}
    assert doc.lines[("a",)] == 1
    assert doc.lines[("a", 0)] == 2
    assert doc.lines[("a", 0, "y")] == 3
    assert doc.lines[("a", 1, "x")] == 5
    assert doc.line_of(("b", "c", "missing", 3)) == 6
    assert doc.duplicates == []


def test_yaml_duplicate_keys_are_recorded_but_merge_keys_are_not_duplicates():
    """A repeated key is recorded with both lines; keys overriding a << merge are fine."""
    doc = load_yaml("base: &b {x: 1}\nm:\n  <<: *b\n  x: 2\n  y: 3\n  y: 4\n")
    assert doc.data["m"] == {"x": 2, "y": 4}
    assert [(d.path, d.key, d.line, d.first_line) for d in doc.duplicates] == [(("m",), "y", 6, 5)]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("a: [1\n", 2, 1), ("a: b: c\n", 1, 5), ("a: !!python/object:os.system x\n", 1, 4)],
)
def test_yaml_syntax_errors_carry_position(text: str, line: int, column: int):
    """Invalid or unsafe YAML raises YamlSyntaxError with a 1-based line and column."""
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml(text)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert "\n" not in caught.value.message
