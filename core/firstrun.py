"""What a client says while a provider has never synced: the catalog it shows is the bundled one
(instance specs, no prices), how to fetch prices now, when the schedule will, and, after a
failed attempt, that the source's endpoint can point at a mirror. One text for the dashboard
and `pricesync list`."""

from __future__ import annotations

from .config import Settings
from .errors import CatalogError
from .formats import provider_name
from .paths import cache_path
from .state import provider_state


def first_run_text(provider: str, fetch_now: str, schedule: str, failed: bool) -> str:
    """`fetch_now`: how this client fetches now ('press s'); `schedule`: when the schedule will
    ('the schedule does at 2025-11-04 02:00 UTC'); `failed`: an attempt failed."""
    text = (
        f"No {provider_name(provider)} prices yet: this is the bundled catalog (instance specs, no prices). "
        f"{fetch_now[0].upper()}{fetch_now[1:]} to fetch them now; {schedule}."
    )
    if failed:
        text += (
            f" The last attempt failed: if this box cannot reach the source, [{provider}] endpoint in the config"
            " can point at a mirror."
        )
    return text


def never_synced(settings: Settings, provider: str) -> tuple[bool, bool]:
    """(no sync of `provider` ever succeeded and nothing is cached, an attempt failed). A state
    file that cannot be read counts as no state (the command that writes it says why)."""
    try:
        state = provider_state(settings.data_dir, provider)
    except CatalogError:
        state = {}
    if state.get("last_success") or cache_path(settings.data_dir, provider).exists():
        return False, False
    return True, state.get("last_status") == "failed"
