"""Request counters for /v1 (the admin API is not counted)."""

from __future__ import annotations

import threading
from typing import Any


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._by_route: dict[str, int] = {}
        self._by_status: dict[str, int] = {}
        self._by_fault: dict[str, int] = {}

    def record(self, route: str, status: int, fault: str | None = None) -> None:
        with self._lock:
            self._total += 1
            self._by_route[route] = self._by_route.get(route, 0) + 1
            key = str(status)
            self._by_status[key] = self._by_status.get(key, 0) + 1
            if fault is not None:
                self._by_fault[fault] = self._by_fault.get(fault, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self._total,
                "by_route": dict(sorted(self._by_route.items())),
                "by_status": dict(sorted(self._by_status.items())),
                "by_fault": dict(sorted(self._by_fault.items())),
            }

    def reset(self) -> None:
        with self._lock:
            self._total = 0
            self._by_route.clear()
            self._by_status.clear()
            self._by_fault.clear()
