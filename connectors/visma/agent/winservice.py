"""``python -m connectors.visma.agent service install|remove|start|stop``: the agent as a Windows service.

Uses pywin32 (``win32serviceutil``), imported only when a service command runs, so the agent and its
tests import this module on any system. The service runs the same loop as ``serve``
(``runner.run``) and stops it through the same event.

pywin32 hosts the service in its ``pythonservice.exe`` and imports the service class by file path,
so the module must work when it is imported as a top-level module: it adds the project folder to
``sys.path`` before it imports anything of ours. The config file's path is kept in the service's
registry entry (pywin32's "custom options"), never the secret itself.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

SERVICE_NAME = "SharespineVismaAgent"
DISPLAY_NAME = "Sharespine Visma agent"
DESCRIPTION = "Connects Visma Administration to the Sharespine integration server."
ACTIONS = ("install", "remove", "start", "stop")
PROJECT_ROOT = Path(__file__).resolve().parents[3]  # the folder that holds the ``connectors`` package
NO_PYWIN32 = (
    "the Windows service needs pywin32, which is not installed here (it exists on Windows only):"
    "  pip install -r connectors\\visma\\agent\\requirements.txt"
)


class ServiceError(SystemExit):
    pass


def pywin32() -> dict[str, ModuleType]:
    """The pywin32 modules, or a clear error when they are missing (any system but Windows)."""
    try:
        import servicemanager
        import win32event
        import win32service
        import win32serviceutil
    except ImportError as exc:
        raise ServiceError(f"visma agent: {NO_PYWIN32}") from exc
    return {
        "win32serviceutil": win32serviceutil,
        "win32service": win32service,
        "win32event": win32event,
        "servicemanager": servicemanager,
    }


def service_class(modules: dict[str, ModuleType]) -> type:
    """Build the service class on pywin32's ``ServiceFramework`` (given, so it can be any module
    with that shape)."""
    util, service = modules["win32serviceutil"], modules["win32service"]

    class AgentWindowsService(util.ServiceFramework):  # type: ignore[name-defined]
        _svc_name_ = SERVICE_NAME
        _svc_display_name_ = DISPLAY_NAME
        _svc_description_ = DESCRIPTION

        def __init__(self, args: Any) -> None:
            super().__init__(args)
            self.stop_event = threading.Event()

        def SvcStop(self) -> None:
            self.ReportServiceStatus(service.SERVICE_STOP_PENDING)
            self.stop_event.set()

        def SvcDoRun(self) -> None:
            config_path = util.GetServiceCustomOption(self._svc_name_, "config")
            run_service(config_path, self.stop_event)

    return AgentWindowsService


def run_service(config_path: str | None, stop: threading.Event) -> None:
    """What the service does: read the config file named at install time and run until stopped."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    from connectors.visma.agent.config import build
    from connectors.visma.agent.runner import run

    if not config_path:
        raise ServiceError("visma agent: the service has no config file (reinstall with --config)")
    config = build({}, config_path)
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run(config, stop)


def manage(action: str, config_path: str | None, *, modules: dict[str, ModuleType] | None = None) -> str:
    """Install, remove, start or stop the service; returns what was done (for the console)."""
    if action not in ACTIONS:
        raise ServiceError(f"visma agent: service {action!r}: use one of {', '.join(ACTIONS)}")
    if action == "install":
        if not config_path:
            raise ServiceError("visma agent: service install needs --config FILE (key, secret, gateway)")
        path = Path(config_path).resolve()
        if not path.is_file():
            raise ServiceError(f"visma agent: no config file at {path}")
        from connectors.visma.agent.config import build

        build({}, str(path))  # refuse a config that would stop the service at its first start
    modules = modules or pywin32()
    util, service = modules["win32serviceutil"], modules["win32service"]
    if action == "install":
        class_string = f"{Path(__file__).with_suffix('')}.AgentWindowsService"
        util.InstallService(
            class_string,
            SERVICE_NAME,
            DISPLAY_NAME,
            startType=service.SERVICE_AUTO_START,
            description=DESCRIPTION,
        )
        util.SetServiceCustomOption(SERVICE_NAME, "config", str(path))
        return f"installed {SERVICE_NAME} (config {path}); start it with: service start"
    if action == "remove":
        util.RemoveService(SERVICE_NAME)
        return f"removed {SERVICE_NAME}"
    if action == "start":
        util.StartService(SERVICE_NAME)
        return f"started {SERVICE_NAME}"
    util.StopService(SERVICE_NAME)
    return f"stopped {SERVICE_NAME}"


if sys.platform == "win32":  # pragma: no cover - pythonservice.exe imports the class from here
    try:
        AgentWindowsService = service_class(pywin32())
    except ServiceError:
        pass
