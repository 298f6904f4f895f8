"""The ``backend`` section: the PromQL HTTP API to query and how to authenticate.

Secrets (a bearer token, a basic-auth password) are never written into the
config: :class:`SecretSource` names the file or environment variable to read
them from, and messages never repeat a header value or URL credentials.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import SplitResult, urlsplit

from pydantic import Field, ValidationInfo, field_validator, model_validator

from exporter.config.schema_base import ConfigModel, empty_as, only_one
from exporter.config.schema_values import HeaderName, HeaderValue, Text, Timeout
from exporter.settings import safe_url
from exporter.yaml_lines import quote

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SecretSource(ConfigModel):
    """Where to read a secret: ``{file: PATH}`` or ``{env: VAR_NAME}``."""

    file: Text | None = None
    env: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, data: object) -> object:
        only_one(data, ("file", "env"))
        return data

    @model_validator(mode="after")
    def _some_source(self) -> SecretSource:
        if self.file is None and self.env is None:
            raise ValueError("give 'file: PATH' or 'env: VAR_NAME' to read the secret from")
        return self

    @field_validator("env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise ValueError(f"{quote(value)} is not an environment variable name")
        return value


class BasicAuthConfig(ConfigModel):
    """HTTP basic authentication; the password is read from a file or the environment."""

    username: Text
    password: SecretSource

    @field_validator("username")
    @classmethod
    def _no_colon(cls, value: str) -> str:
        if ":" in value:
            raise ValueError("username must not contain ':'")
        return value


class TLSConfig(ConfigModel):
    """How to check the backend's certificate."""

    ca_file: Text | None = None
    insecure_skip_verify: bool = False


def _has_authorization(headers: object) -> bool:
    return isinstance(headers, dict) and any(
        isinstance(name, str) and name.lower() == "authorization" for name in headers
    )


class BackendConfig(ConfigModel):
    """The PromQL HTTP API to query."""

    url: Text
    timeout: Timeout = 10
    headers: Annotated[dict[HeaderName, HeaderValue], empty_as({})] = Field(default_factory=dict)
    bearer_token: SecretSource | None = None
    basic_auth: BasicAuthConfig | None = None
    tls: TLSConfig | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        url = value.strip()
        parts = http_url(
            url,
            "e.g. http://127.0.0.1:9090",
            "use basic_auth with a password from a file or an environment variable",
        )
        if parts.query or parts.fragment:
            raise ValueError("url must not have a query string or fragment")
        if re.search(r"/api/v1(/.*)?$", parts.path.rstrip("/")):
            raise ValueError(
                "url is the API's base, without /api/v1/...: e.g. http://prometheus:9090 "
                "or https://mimir.example.com/prometheus"
            )
        return url.rstrip("/")

    @field_validator("bearer_token")
    @classmethod
    def _token_alone(cls, value: SecretSource | None, info: ValidationInfo) -> SecretSource | None:
        if value is not None and _has_authorization(info.data.get("headers")):
            raise ValueError("set either bearer_token or an Authorization header, not both")
        return value

    @field_validator("basic_auth")
    @classmethod
    def _basic_alone(
        cls, value: BasicAuthConfig | None, info: ValidationInfo
    ) -> BasicAuthConfig | None:
        if value is not None and info.data.get("bearer_token") is not None:
            raise ValueError("set either bearer_token or basic_auth, not both")
        if value is not None and _has_authorization(info.data.get("headers")):
            raise ValueError("set either basic_auth or an Authorization header, not both")
        return value


def http_url(url: str, example: str, no_credentials: str) -> SplitResult:
    """``url``'s parts if it is an http(s) URL with a host, a valid port and no
    credentials; else ``ValueError`` quoting it without its userinfo.

    Any ``@`` counts as credentials: with an unencoded ``/`` or ``?`` in a
    password, a URL parser would take part of it for the host or the path.
    """
    if "@" in url:
        raise ValueError(f"url must not contain credentials (user:password@); {no_credentials}")
    shown = quote(safe_url(url))
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ValueError(f"{shown} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"url must start with http:// or https:// and name a host, {example}; got {shown}"
        )
    return parts
