"""``run``'s address arguments as a user writes them: the exporter-toolkit flag name, the
old alias, the environment default, and addresses that are no address."""

from __future__ import annotations

import pytest

from exporter.cli import build_parser


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        ([], None, ("0.0.0.0", 9099)),
        (["--web.listen-address", "127.0.0.1:9100"], None, ("127.0.0.1", 9100)),
        (["--listen", "127.0.0.1:9100"], None, ("127.0.0.1", 9100)),
        (["--web.listen-address", ":9101"], None, ("0.0.0.0", 9101)),
        (["--web.listen-address", "[::1]:9102"], None, ("::1", 9102)),
        ([], "127.0.0.1:9103", ("127.0.0.1", 9103)),
        (["--listen", ":9104"], "127.0.0.1:9103", ("0.0.0.0", 9104)),  # the flag wins
    ],
)
def test_listen_address(monkeypatch, argv: list[str], env: str | None, expected):
    """The address comes from --web.listen-address or --listen, else from
    SLO_EXPORTER_LISTEN_ADDRESS, else :9099 (every IPv4 interface)."""
    if env is None:
        monkeypatch.delenv("SLO_EXPORTER_LISTEN_ADDRESS", raising=False)
    else:
        monkeypatch.setenv("SLO_EXPORTER_LISTEN_ADDRESS", env)
    args = build_parser().parse_args(["run", "-c", "slos.yaml", *argv])
    assert args.listen == expected


@pytest.mark.parametrize("address", ["127.0.0.1:65536", "127.0.0.1", "127.0.0.1:http", ""])
def test_an_address_without_a_valid_port_is_a_usage_error(capsys, address: str):
    """A port out of range or missing is bad usage (exit 2) with one message naming it,
    not a traceback once the server starts."""
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["run", "-c", "slos.yaml", "--web.listen-address", address])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"{address!r} is not HOST:PORT" in err


@pytest.mark.parametrize(("text", "expected"), [("1", 1), ("2000", 2000)])
def test_max_connections(text: str, expected: int):
    """--web.max-connections takes a whole number of connections."""
    args = build_parser().parse_args(["run", "-c", "x", "--web.max-connections", text])
    assert args.max_connections == expected


@pytest.mark.parametrize("text", ["0", "-5", "many", "1.5"])
def test_max_connections_refuses_what_is_no_count(capsys, text: str):
    """Zero, negative or non-numeric --web.max-connections is a usage error (exit 2)."""
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["run", "-c", "x", "--web.max-connections", text])
    assert stopped.value.code == 2
    assert "connections" in capsys.readouterr().err
