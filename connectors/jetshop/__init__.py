"""Jetshop Commerce connector: SOAP 1.2 client (``client.py``) and a faithful simulator."""

from connectors.jetshop.client import JetshopClient, OrderOperations

__all__ = ["JetshopClient", "OrderOperations"]
