"""Runbook and dashboard URL templates: ``https://grafana/d/slo?var-slo={slo}``.

A template is an absolute http(s) URL in which ``{slo}`` and ``{service}``
stand for the SLO's name and service, URL-encoded. Other braces (JSON in a
Grafana Explore link, say) are left alone, but ``{word}`` with any other
word is a mistake worth reporting, and so is ``{{``: these URLs end up in
alert annotations, where Prometheus would read ``{{`` as a template.
"""

from __future__ import annotations

import re
from urllib.parse import quote

PLACEHOLDERS = ("slo", "service")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def check_url_template(text: str) -> str:
    """Return ``text`` stripped, or raise ``ValueError`` with a one-line reason."""
    url = text.strip()
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"expected an http:// or https:// URL, got {url[:60]!r}")
    if "{{" in url or "}}" in url:
        raise ValueError("write {slo} or {service} as placeholders; {{...}} is not expanded here")
    if any(char.isspace() for char in url):
        raise ValueError("a URL must not contain spaces; encode them as %20")
    for match in _PLACEHOLDER.finditer(url):
        if match.group(1) not in PLACEHOLDERS:
            raise ValueError(f"unknown placeholder {match.group(0)}; use {{slo}} or {{service}}")
    return url


def expand_url(template: str, slo: str, service: str) -> str:
    """``template`` with ``{slo}`` and ``{service}`` replaced by their URL-encoded values."""
    values = {"slo": slo, "service": service}
    return _PLACEHOLDER.sub(
        lambda m: quote(values[m.group(1)], safe="") if m.group(1) in values else m.group(0),
        template,
    )
