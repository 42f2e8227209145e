"""The agent gateway: Visma agents dial *out* to it, so nothing listens on the merchant's network.

* ``wire``: the messages on the agent's WebSocket and the connection's authentication (stdlib only:
  the agent imports it);
* ``broker``: requests and answers between the server's workers and the gateway processes (Redis,
  or a SQLite file under ``var/`` for the embedded demo without Redis);
* ``server``: the gateway itself (asyncio + ``websockets``), any number of processes side by side;
* ``transport``: what ``VismaClient`` sends through instead of HTTP when an agent is outbound.

No Django here: the entry point that looks secrets up in the database is
``flows/management/commands/agent_gateway.py``.
"""
