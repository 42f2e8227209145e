from flows.models.config import (
    ArticleAccountMapping,
    Channel,
    Integration,
    JetshopShop,
    MethodMapping,
    OrderTrigger,
    PriceListMapping,
    StatusRule,
    VismaAgent,
)
from flows.models.engine import Cursor, CustomerChoice, ExternalRef, JourneyStep, SyncItem, SyncRun
from flows.models.golive import GoLiveCheck, LiveChoices, OlderOrders
from flows.models.initial_sync import InitialSync, InitialSyncEntry
from flows.models.plugins import PluginSetting, Rule

__all__ = [
    "ArticleAccountMapping",
    "InitialSync",
    "InitialSyncEntry",
    "Cursor",
    "CustomerChoice",
    "ExternalRef",
    "GoLiveCheck",
    "LiveChoices",
    "OlderOrders",
    "JourneyStep",
    "SyncItem",
    "SyncRun",
    "Channel",
    "Integration",
    "JetshopShop",
    "MethodMapping",
    "OrderTrigger",
    "PluginSetting",
    "Rule",
    "PriceListMapping",
    "StatusRule",
    "VismaAgent",
]
