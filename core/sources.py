"""The configured price source of a provider, and the cheap check of whether it can sync.

Above the config and the providers (which know nothing of Settings): each provider module has
a `check` that needs no client and no network, so a UI may ask it for every provider."""

from __future__ import annotations

from .config import Settings
from .errors import ConfigError
from .providers import aws_public, aws_spot, azure, gcp
from .providers.base import Provider


def make_provider(settings: Settings, provider: str, mode: str | None = None, endpoint: str | None = None) -> Provider:
    """The configured source for `provider`; `endpoint` overrides the configured base URL.
    Constructing one does no network I/O; a missing setting is a ConfigError here."""
    if provider == "aws":
        aws = settings.aws
        source: Provider
        if (mode or aws.mode) == "boto3":
            from .providers.aws_boto3 import AwsBoto3Provider  # boto3 is slow to import: only when used

            source = AwsBoto3Provider(aws.profile, endpoint or aws.endpoint_url, settings.http, aws.endpoint)
        else:
            source = aws_public.AwsPublicProvider(endpoint or aws.endpoint, settings.http)
        # spot comes from its own public feeds in either mode
        return aws_spot.WithSpot(source, aws_spot.SpotFeeds(aws.spot_price_url, aws.spot_advisor_url, settings.http))
    if provider == "azure":
        return azure.AzureProvider(endpoint or settings.azure.endpoint, settings.http)
    if provider == "gcp":
        return gcp.GcpProvider(endpoint or settings.gcp.endpoint, settings.gcp_api_key, settings.http)
    raise ConfigError(f"unknown provider {provider!r}")


def check(settings: Settings, provider: str) -> str | None:
    """Why `provider` cannot sync with these settings (one line), or None if it can try."""
    if provider == "aws":
        if settings.aws.mode == "boto3":
            from .providers import aws_boto3

            return aws_boto3.check(settings.aws.profile)
        return aws_public.check()
    if provider == "azure":
        return azure.check()
    if provider == "gcp":
        return gcp.check(settings.gcp_api_key)
    return f"unknown provider {provider!r}"
