"""The demo merchant and its traffic (``make run``): never imported by the engine or the flows."""
