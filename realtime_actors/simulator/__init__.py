"""An embedded simulator of the OpenAI Realtime API (GA protocol) for offline tests."""

from __future__ import annotations

from ..runtime.stop_signals import STOP_SIGNALS
from .records import ConnectionRecord
from .scenario import FaultPlan, ReplyContext, RestFault, Scenario
from .serving import serve
from .simulator import Simulator
from .tool_arguments import ScriptedArguments, schema_arguments

__all__ = [
    "STOP_SIGNALS",
    "ConnectionRecord",
    "FaultPlan",
    "ReplyContext",
    "RestFault",
    "Scenario",
    "ScriptedArguments",
    "Simulator",
    "schema_arguments",
    "serve",
]
