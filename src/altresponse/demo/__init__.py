"""The live demo: the operations service with a day of Sample City calls replayed at speed."""

from altresponse.demo.clock import FastClock
from altresponse.demo.replay import Replay, ReplayCounts
from altresponse.demo.run import DemoInfo, DemoOptions, DemoResult, run_demo
from altresponse.demo.setup import BOT_USERS, DEMO_PASSWORD, DEMO_USERS, DemoAccounts, prepare

__all__ = [
    "BOT_USERS",
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "DemoAccounts",
    "DemoInfo",
    "DemoOptions",
    "DemoResult",
    "FastClock",
    "Replay",
    "ReplayCounts",
    "prepare",
    "run_demo",
]
