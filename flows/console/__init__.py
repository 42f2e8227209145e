"""The console: the admin pages consultants and support work in (configuration, sync runs and items,
the order page, the initial sync). It sits on top: it reads the engine and calls its API."""
