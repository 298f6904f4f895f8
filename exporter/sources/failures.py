"""What can go wrong with a scrape, as errors and as data.

The errors are :class:`~exporter.errors.BackendError` subclasses, so
self-metrics count a failed scrape under the same ``reason`` as a failed
PromQL query (the table is in :mod:`exporter.sources.scrape`). A failure is
kept as a :class:`Failure` with the target's last result, and every
snapshot that meets it raises a fresh error made from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from exporter.errors import (
    BackendError,
    BackendHTTPError,
    BackendResponseError,
    BackendTimeout,
    BackendUnavailable,
    QueryError,
)

__all__ = [
    "FailedScrape",
    "Failure",
    "ScrapeError",
    "ScrapeHTTPError",
    "ScrapeResponseError",
    "ScrapeSelectorError",
    "ScrapeTimeout",
    "ScrapeUnavailable",
    "describe",
]


class ScrapeError(BackendError):
    """A scrape did not give usable samples; ``target`` is the URL scraped."""

    target = ""


class ScrapeTimeout(ScrapeError, BackendTimeout):
    """The target did not answer completely within the scrape timeout."""


class ScrapeUnavailable(ScrapeError, BackendUnavailable):
    """The target could not be reached (refused, DNS, TLS, dropped connection)."""


class ScrapeHTTPError(ScrapeError, BackendHTTPError):
    """The target answered with an HTTP status other than 200."""


class ScrapeResponseError(ScrapeError, BackendResponseError):
    """The body is no metrics exposition, or larger than the limit."""


class ScrapeSelectorError(ScrapeError, QueryError):
    """A selector asked for cannot be parsed or applied to scraped samples."""


@dataclass(frozen=True)
class Failure:
    """What went wrong, kept as data: each snapshot raises a fresh exception from it."""

    kind: type[ScrapeError]
    message: str
    status: int = 0

    def error(self, target: str, at: float | None) -> ScrapeError:
        """The exception to raise for ``target``, evaluated at ``at``."""
        if issubclass(self.kind, BackendHTTPError):
            err: ScrapeError = self.kind(self.message, status=self.status, at=at)
        else:
            err = self.kind(self.message, at=at)
        err.target = target
        return err


class FailedScrape(Exception):
    """Carries a scrape's :class:`Failure` out of the fetch to the target's result."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def describe(err: BaseException) -> str:
    """``err``'s message on one line, or its type's name when it has none."""
    text = " ".join(str(err).split())
    return text or type(err).__name__
