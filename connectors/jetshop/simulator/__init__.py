"""A faithful Jetshop Commerce SOAP simulator for tests, the benchmark and the demo.

``JetshopSimulator`` is the WSGI app; ``RunningServer`` serves it on a background thread::

    sim = JetshopSimulator(SimConfig(), "demo")
    server = RunningServer(sim).start()   # server.base_url + ENDPOINT_PATH is the SOAP endpoint
"""

from connectors.jetshop.simulator.app import JetshopSimulator, make_app
from connectors.jetshop.simulator.server import RunningServer
from connectors.jetshop.simulator.state import SimConfig

__all__ = ["JetshopSimulator", "RunningServer", "SimConfig", "make_app"]
