"""Price sources. Each module implements `core.providers.base.Provider`; `make_provider`
picks the configured one. Constructing a provider does no network I/O; a missing setting
(GCP API key, unknown AWS profile) is a ConfigError here, before any sync starts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..config import Settings
    from .base import Provider


def make_provider(settings: Settings, provider: str, mode: str | None = None, endpoint: str | None = None) -> Provider:
    """The configured source for `provider`; `endpoint` overrides the configured base URL."""
    if provider == "aws":
        mode = mode or settings.aws.mode
        if mode == "boto3":
            from .aws_boto3 import AwsBoto3Provider

            return AwsBoto3Provider(settings.aws.profile, endpoint or settings.aws.endpoint_url, settings.http)
        from .aws_public import AwsPublicProvider

        return AwsPublicProvider(endpoint or settings.aws.endpoint, settings.http)
    if provider == "azure":
        from .azure import AzureProvider

        return AzureProvider(endpoint or settings.azure.endpoint, settings.http)
    if provider == "gcp":
        from .gcp import GcpProvider

        return GcpProvider(endpoint or settings.gcp.endpoint, settings.gcp_api_key, settings.http)
    raise ConfigError(f"unknown provider {provider!r}")
