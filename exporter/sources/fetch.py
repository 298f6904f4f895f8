"""One HTTP GET of a target's ``/metrics``: the body of a 200 answer, or why not.

The request asks for OpenMetrics first (:data:`~exporter.sources.parse.ACCEPT`)
and announces the scrape timeout, as Prometheus does. Everything short of a
complete 200 answer within the timeout and the body limit raises
:class:`~exporter.sources.failures.FailedScrape` with the
:class:`~exporter.sources.failures.Failure` that names the target.
"""

from __future__ import annotations

import aiohttp

from exporter import __version__
from exporter.settings import ScrapeTarget
from exporter.sources.failures import (
    FailedScrape,
    Failure,
    ScrapeHTTPError,
    ScrapeResponseError,
    ScrapeTimeout,
    ScrapeUnavailable,
    describe,
)
from exporter.sources.parse import ACCEPT

__all__ = ["DEFAULT_BODY_LIMIT", "fetch"]

DEFAULT_BODY_LIMIT = 16 * 1024 * 1024
"""Bytes of (decompressed) body a scrape reads at most."""
_CLIP = 200
_CHUNK = 64 * 1024


async def fetch(
    session: aiohttp.ClientSession, target: ScrapeTarget, body_limit: int
) -> tuple[bytes, str | None]:
    """The body and Content-Type of a 200 answer; raises FailedScrape otherwise."""
    url = target.url
    headers = {
        "Accept": ACCEPT,
        "User-Agent": f"slo-exporter/{__version__}",
        "X-Prometheus-Scrape-Timeout-Seconds": f"{target.timeout:g}",
    }
    try:
        async with session.get(
            url, headers=headers, timeout=aiohttp.ClientTimeout(total=target.timeout)
        ) as response:
            if response.status != 200:
                raise FailedScrape(await _status_failure(url, response))
            body = await _read(url, response, body_limit)
            return body, response.headers.get("Content-Type")
    except (aiohttp.ClientError, OSError) as err:  # TimeoutError is an OSError
        raise FailedScrape(_failure(target, err)) from None


async def _status_failure(url: str, response: aiohttp.ClientResponse) -> Failure:
    """An answer other than 200, quoting the start of its body."""
    start = await response.content.read(_CLIP)
    return Failure(
        ScrapeHTTPError,
        f"target {url} answered HTTP {response.status}" + _quoted(start.decode("utf-8", "replace")),
        response.status,
    )


def _failure(target: ScrapeTarget, err: aiohttp.ClientError | OSError) -> Failure:
    """What a request that raised ``err`` failed of."""
    url = target.url
    if isinstance(err, TimeoutError):  # aiohttp's timeouts are TimeoutError subclasses
        return Failure(
            ScrapeTimeout, f"target {url} gave no complete answer within {target.timeout:g}s"
        )
    if isinstance(err, aiohttp.ClientResponseError):  # too many redirects, bad status line
        return Failure(
            ScrapeHTTPError, f"target {url}: HTTP error {err.status}: {err.message}", err.status
        )
    if isinstance(err, aiohttp.ClientPayloadError):
        return Failure(ScrapeResponseError, f"target {url}: the body broke off: {err}")
    return Failure(ScrapeUnavailable, f"cannot scrape {url}: {describe(err)}")


async def _read(url: str, response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The whole body, or FailedScrape once it is known to exceed ``limit`` bytes."""
    too_big = FailedScrape(
        Failure(ScrapeResponseError, f"target {url}: the body is larger than {limit} bytes")
    )
    if response.content_length is not None and response.content_length > limit:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def _quoted(text: str) -> str:
    """``: 'text'`` on one line and clipped, or nothing for blank text."""
    text = " ".join(text.split())
    return f": {text[:_CLIP]!r}" if text else ""
