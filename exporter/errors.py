"""Every error slo-exporter raises on purpose.

::

    SLOExporterError
    ├── ConfigError              the config file is unreadable or invalid
    └── BackendError             a PromQL query did not give a usable answer
        ├── BackendTimeout           no answer within backend.timeout
        ├── BackendUnavailable       could not connect (refused, DNS, TLS)
        ├── BackendHTTPError         HTTP status other than 200
        ├── BackendResponseError     body is not the PromQL API's JSON shape
        └── QueryError               the backend rejected or failed the query

A ``BackendError`` carries the query and evaluation time it was for, and a
short ``reason`` used as the ``reason`` label of
``slo_exporter_query_errors_total``. A ``ConfigError`` carries one line per
problem, each naming the file, the SLO and the field.
"""

from __future__ import annotations

from collections.abc import Sequence


class SLOExporterError(Exception):
    """Base of every error slo-exporter raises on purpose."""


class ConfigError(SLOExporterError):
    """The config file cannot be used; ``problems`` has one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


class BackendError(SLOExporterError):
    """A query failed; ``reason`` is a short label value for self-metrics."""

    reason = "error"

    def __init__(self, message: str, *, query: str = "", at: float | None = None) -> None:
        self.query = query
        self.at = at
        super().__init__(message)


class BackendTimeout(BackendError):
    """The backend did not answer within the timeout."""

    reason = "timeout"


class BackendUnavailable(BackendError):
    """The backend could not be reached at all."""

    reason = "connection"


class BackendHTTPError(BackendError):
    """The backend answered with an HTTP error status."""

    reason = "http"

    def __init__(
        self, message: str, *, status: int, query: str = "", at: float | None = None
    ) -> None:
        self.status = status
        super().__init__(message, query=query, at=at)


class BackendResponseError(BackendError):
    """The answer was not the JSON the PromQL HTTP API returns."""

    reason = "malformed"


class QueryError(BackendError):
    """The backend reported an error for the query itself (bad_data, execution, ...)."""

    reason = "query"
