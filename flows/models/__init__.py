from flows.models.config import (
    Channel,
    Integration,
    JetshopShop,
    MethodMapping,
    OrderTrigger,
    PriceListMapping,
    StatusRule,
    VismaAgent,
)
from flows.models.engine import Cursor, ExternalRef, JourneyStep, SyncItem, SyncRun

__all__ = [
    "Cursor",
    "ExternalRef",
    "JourneyStep",
    "SyncItem",
    "SyncRun",
    "Channel",
    "Integration",
    "JetshopShop",
    "MethodMapping",
    "OrderTrigger",
    "PriceListMapping",
    "StatusRule",
    "VismaAgent",
]
