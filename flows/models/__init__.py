from flows.models.config import (
    Channel,
    Integration,
    JetshopShop,
    OrderTrigger,
    PriceListMapping,
    StatusRule,
    VismaAgent,
)

__all__ = [
    "Channel",
    "Integration",
    "JetshopShop",
    "OrderTrigger",
    "PriceListMapping",
    "StatusRule",
    "VismaAgent",
]
