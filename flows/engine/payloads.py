"""Typed records ↔ the JSON kept in ``SyncItem.payload``: the raw input, stored before it is mapped.

Money stays exact (Decimals as strings) and timestamps keep their offset, so a parked order that is
retried a week later is mapped from exactly what the shop sent. The codec is the one the Visma agent's
wire records use (``connectors/codec.py``), reading a stored payload back as it was written.
"""

from connectors.codec import dump, load

__all__ = ["dump", "load"]
