"""``python -m connectors.visma.agent service …`` on Linux: what can be checked without Windows.

pywin32 exists only on Windows. Here: the command line's argument handling and its clear error when
pywin32 is missing (a real process), the install/remove/start/stop calls made into a stand-in with
pywin32's shape, and the service class's start and stop driving the agent's real run loop (a real
agent process answering over HTTP, stopped by ``SvcStop``). Not run here: pythonservice.exe, the
Service Control Manager, the registry — see the agent README.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from types import ModuleType, SimpleNamespace

import pytest

from connectors.visma.agent import winservice
from tests.connectors.visma.processes import ROOT, agent_command, agent_env, free_port

CONFIG = {"key_id": "svc-key", "secret": "svc-secret-0123456789abcdef", "backend": "simulated"}


def config_file(tmp_path, **extra) -> str:  # type: ignore[no-untyped-def]
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(CONFIG | {"company": str(tmp_path / "c.sqlite")} | extra), encoding="utf-8")
    return str(path)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(agent_command(*args), cwd=ROOT, env=agent_env(keys=False), capture_output=True,
                          text=True, timeout=60)  # fmt: skip


def test_without_pywin32_the_service_commands_say_so_clearly(tmp_path):
    done = run_cli("service", "install", "--config", config_file(tmp_path))
    assert done.returncode != 0
    assert "pywin32" in done.stderr and "Traceback" not in done.stderr
    for action in ("remove", "start", "stop"):
        done = run_cli("service", action)
        assert done.returncode != 0 and "pywin32" in done.stderr and "Traceback" not in done.stderr


def test_service_arguments_are_checked_before_anything_is_installed(tmp_path):
    assert "needs --config" in run_cli("service", "install").stderr
    assert (
        "no config file" in run_cli("service", "install", "--config", str(tmp_path / "missing.toml")).stderr
    )
    short = config_file(tmp_path, secret="short")
    assert "at least 16 characters" in run_cli("service", "install", "--config", short).stderr
    wrong = run_cli("service", "restart")
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr


class Recorder:
    """Stands in for ``win32serviceutil``: records what would have been asked of Windows."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.options: dict[tuple[str, str], str] = {}

    def InstallService(self, *args, **kwargs):
        self.calls.append(("install", args, kwargs))

    def SetServiceCustomOption(self, service, option, value):
        self.options[(service, option)] = value

    def GetServiceCustomOption(self, service, option):
        return self.options.get((service, option))

    def RemoveService(self, name):
        self.calls.append(("remove", name))

    def StartService(self, name):
        self.calls.append(("start", name))

    def StopService(self, name):
        self.calls.append(("stop", name))


def stand_in(recorder: Recorder) -> dict[str, ModuleType]:
    util = ModuleType("win32serviceutil")
    for name in dir(recorder):
        if name[0].isupper():
            setattr(util, name, getattr(recorder, name))
    service = ModuleType("win32service")
    service.SERVICE_AUTO_START, service.SERVICE_STOP_PENDING = 2, 3
    return {"win32serviceutil": util, "win32service": service, "win32event": ModuleType("e"),
            "servicemanager": ModuleType("s")}  # fmt: skip


def test_install_remove_start_stop_call_pywin32_with_the_service_and_its_config(tmp_path):
    recorder = Recorder()
    modules = stand_in(recorder)
    config = config_file(tmp_path)
    assert "installed SharespineVismaAgent" in winservice.manage("install", config, modules=modules)
    [(_, (class_string, name, display), options)] = recorder.calls
    # pythonservice.exe imports the class by file path: the module, then the class name.
    assert class_string == str(ROOT / "connectors/visma/agent/winservice") + ".AgentWindowsService"
    assert (name, display, options["startType"]) == ("SharespineVismaAgent", "Sharespine Visma agent", 2)
    assert recorder.options[("SharespineVismaAgent", "config")] == config  # the path, never the secret
    for action in ("start", "stop", "remove"):
        winservice.manage(action, None, modules=modules)
    assert recorder.calls[1:] == [("start", name), ("stop", name), ("remove", name)]
    with pytest.raises(SystemExit, match="use one of"):
        winservice.manage("pause", None, modules=modules)


SERVICE_RUN = textwrap.dedent(
    """
    import json, sys, threading, time, urllib.request
    from types import ModuleType
    from connectors.visma.agent import winservice

    config, port = sys.argv[1], int(sys.argv[2])
    statuses = []

    class ServiceFramework:  # pywin32's base class, as far as the service uses it
        def __init__(self, args):
            self.args = args
        def ReportServiceStatus(self, status):
            statuses.append(status)

    util = ModuleType("win32serviceutil")
    util.ServiceFramework = ServiceFramework
    util.GetServiceCustomOption = lambda service, option: config if option == "config" else None
    service = ModuleType("win32service")
    service.SERVICE_STOP_PENDING = 3
    cls = winservice.service_class({"win32serviceutil": util, "win32service": service})
    instance = cls(["SharespineVismaAgent"])
    runner = threading.Thread(target=instance.SvcDoRun)
    runner.start()
    for _ in range(200):
        try:
            health = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=1))
            break
        except OSError:
            time.sleep(0.1)
    print("HEALTH", health["status"])
    instance.SvcStop()
    runner.join(15)
    print("STOPPED", not runner.is_alive(), statuses)
    """
)


def test_the_service_class_runs_the_agent_loop_and_stops_it(tmp_path):
    port = free_port()
    config = config_file(tmp_path, host="127.0.0.1", port=port)  # direct mode: observable over HTTP
    done = subprocess.run([sys.executable, "-c", SERVICE_RUN, config, str(port)], cwd=ROOT,
                          env=agent_env(keys=False), capture_output=True, text=True, timeout=90)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "HEALTH ok" in done.stdout
    assert "STOPPED True [3]" in done.stdout


def test_a_service_without_a_config_file_refuses_to_run():
    with pytest.raises(SystemExit, match="no config file"):
        winservice.run_service(None, SimpleNamespace())  # type: ignore[arg-type]
