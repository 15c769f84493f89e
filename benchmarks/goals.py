"""The goal lines every benchmark ends with: the figure, the floor it is measured against (in the same
run), and where it stands against the goal, one line per goal, in one form a reader or a script can take:

    GOAL idle memory: 63.9 MB | floor 50.2 MB (bare tray icon) | 1.27× the floor (goal ≤ 1.3×) | met

A goal is either a ratio to the floor ("≤ 1.3× the bare icon", "≥ 0.3× direct") or an absolute figure
("≤ 2 s"); an absolute one still names a floor where there is one (what the same work costs without the
app), and its ratio is then the figure over the goal.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Goal:
    name: str
    figure: float
    unit: str
    goal: float
    floor: float | None = None
    floor_name: str = ""
    relative: bool = True  # the goal is figure / floor; otherwise the figure itself
    at_least: bool = False  # ≥ (throughput) rather than ≤ (time, memory)
    digits: int = 2

    @property
    def ratio(self) -> float:
        if self.relative:
            return self.figure / self.floor if self.floor else float("inf")
        return self.figure / self.goal if self.goal else float("inf")

    @property
    def met(self) -> bool:
        value = self.ratio if self.relative else self.figure
        return value >= self.goal if self.at_least else value <= self.goal

    def line(self) -> str:
        sign = "≥" if self.at_least else "≤"
        figure = f"{self.figure:,.{self.digits}f} {self.unit}".strip()
        floor = (f"floor {self.floor:,.{self.digits}f} {self.unit} ({self.floor_name})".replace("  ", " ")
                 if self.floor is not None else "floor —")
        if self.relative:
            against = f"{self.ratio:.2f}× the floor (goal {sign} {self.goal:g}×)"
        else:
            against = f"{self.ratio:.2f} of the goal (goal {sign} {self.goal:g} {self.unit})"
        return f"GOAL {self.name}: {figure} | {floor} | {against} | {'met' if self.met else 'MISSED'}"


def print_goals(goals: list[Goal]) -> None:
    """The benchmark's last lines."""
    for goal in goals:
        print(goal.line(), flush=True)


def machine_load() -> str:
    """What else the machine is doing (other engineers' work shares it): the load averages."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def bytecode_as_installed(env: dict[str, str], cache: str) -> None:
    """The app's modules compiled once and reused, as after an install (pip compiles them then). Where
    PYTHONDONTWRITEBYTECODE is set (CI, this sandbox) every start would compile every module again from source
    (~180 ms of the app's start); the cache goes to a folder of the run's own, not into the source tree."""
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = cache
