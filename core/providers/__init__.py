"""Price sources. Each module implements `core.providers.base.Provider`; `make_provider`
picks the configured one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..config import Settings
    from .base import Provider


def make_provider(settings: Settings, provider: str, mode: str | None = None, endpoint: str | None = None) -> Provider:
    """The configured source for `provider`. Raises ConfigError for sources not built yet."""
    if provider == "aws":
        mode = mode or settings.aws.mode
        if mode == "boto3":
            raise ConfigError("the AWS Pricing API source (--boto3) is not available yet; use --public")
        from .aws_public import AwsPublicProvider

        return AwsPublicProvider(endpoint or settings.aws.endpoint, settings.http)
    raise ConfigError(f"the {provider} source is not available yet")
