"""The simulated tenant: a local Graph-compatible server for demos, drills and tests."""

from .faults import Fault
from .scenario import Event, Scenario, ScenarioError, list_scenarios, load_scenario
from .server import SimulatedTenant
from .wire import RequestRecord

__all__ = [
    "Event", "Fault", "RequestRecord", "Scenario", "ScenarioError", "SimulatedTenant", "list_scenarios",
    "load_scenario",
]
