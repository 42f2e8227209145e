"""Visma Administration: the server-side client and the agent that runs next to the ERP."""
