"""Stand-in for pythonnet's ``System`` namespace: the types the agent's adk backend passes."""

from connectors.visma.agent.backends.simulated.wrapper import DateTime

String = str
Double = float
Boolean = bool

__all__ = ["Boolean", "DateTime", "Double", "String"]
