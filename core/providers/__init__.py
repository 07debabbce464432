"""Price sources, one module per source, each implementing `core.providers.base.Provider` and a
cheap `check` that says, without building a client, why the source cannot sync. The providers
know nothing of the config: `core.sources` builds the configured one."""
