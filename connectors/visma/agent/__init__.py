"""The Visma agent: a small standalone HTTP service next to Visma Administration (no Django)."""

VERSION = "1.0.0"
