"""Errors the engine raises on purpose; each message is one line fit for an operator."""


class PriceSyncError(Exception):
    """Base class: a failure with a clear one-line message."""


class ConfigError(PriceSyncError):
    """Bad configuration or command-line usage (CLI exit code 2)."""


class CatalogError(PriceSyncError):
    """A local catalog, cache or state file is missing, unreadable or invalid."""


class SourceError(PriceSyncError):
    """The price source failed: network, HTTP status, bad or truncated body."""


class SanityError(PriceSyncError):
    """A write-back was refused because the fetched prices look wrong."""


class SyncBusy(PriceSyncError):
    """Another sync of the same provider holds the lock (CLI exit code 3)."""


class Cancelled(PriceSyncError):
    """Work was asked to stop (a shutdown, or a newer request superseded it); nothing was written."""


class ExportError(PriceSyncError):
    """A CSV export could not be written."""
