"""The agent's heartbeat: who it is, when it was last seen, and when it went offline."""

from __future__ import annotations

import pytest
from django_celery_beat.models import PeriodicTask

from flows.engine import agent_status
from flows.models import VismaAgent

pytestmark = pytest.mark.django_db


def test_heartbeat_records_the_agent_and_an_unreachable_agent_is_marked_offline(integration):
    assert agent_status.check(integration) is True
    agent = VismaAgent.objects.get(integration=integration)
    assert (agent.backend, agent.company_name) == ("simulated", "Simulerat Företag AB")
    assert agent.offline_since is None
    assert agent.agent_version and agent.last_seen_at

    VismaAgent.objects.filter(pk=agent.pk).update(agent_url="http://127.0.0.1:9")
    integration.refresh_from_db()
    assert agent_status.check(integration) is False
    agent.refresh_from_db()
    assert agent.offline_since is not None and "cannot reach" in agent.last_error
    assert agent_status.is_offline(integration.pk)


def test_each_integration_with_an_agent_gets_a_heartbeat_schedule(integration):
    task = PeriodicTask.objects.get(name=f"flow:{integration.pk}:agent-heartbeat")
    assert (task.task, task.interval.every, task.queue) == ("flows.tasks.check_agent", 60, "bulk")
