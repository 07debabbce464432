"""Price sources. Each module implements `core.providers.base.Provider`."""
