"""pricesync core: the sync engine. Knows nothing of any UI."""
