"""The package's ``api`` module exposes the loaded wrapper's ``Api`` class; here, the simulated one."""

from connectors.visma.agent.backends.simulated.wrapper import Api

__all__ = ["Api"]
