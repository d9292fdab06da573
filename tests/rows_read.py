"""What the queries of a request read from ``mr_run_metrics``, for tests that show a page costs
the same whatever it is preceded by or however many values the run holds."""
from __future__ import annotations

import typing as t

import sqlalchemy as sa


class RowsRead:
    """What the queries run inside it read. PostgreSQL: every SELECT of ``mr_run_metrics`` is
    replayed under ``EXPLAIN ANALYZE`` and the rows its plan took from that table are added up
    (returned and filtered out, times the loops). SQLite: the virtual machine's instructions while
    it is open, counted by a progress handler (reading a row costs several)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.selects: list[tuple[str, t.Any]] = []
        self.instructions = 0
        self._handled: list[t.Any] = []

    def __enter__(self) -> RowsRead:
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)
        if self.engine.dialect.name == "sqlite":
            for raw in self._handled:
                raw.set_progress_handler(None, 0)

    def _count(self) -> int:
        self.instructions += 100
        return 0

    def _seen(self, conn, _cursor, statement, parameters, _context, _many) -> None:
        if self.engine.dialect.name == "sqlite":
            raw = conn.connection.dbapi_connection
            if raw not in self._handled:
                raw.set_progress_handler(self._count, 100)
                self._handled.append(raw)
        elif "mr_run_metrics" in statement and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.selects.append((statement, parameters))

    def metric_rows(self) -> int:
        def walk(node: dict) -> int:
            rows = 0
            if node.get("Relation Name") == "mr_run_metrics":
                rows += (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
                         + node.get("Rows Removed by Index Recheck", 0)) * node["Actual Loops"]
            return rows + sum(walk(child) for child in node.get("Plans", []))

        total = 0
        with self.engine.connect() as conn:
            for statement, parameters in self.selects:
                plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar()
                total += walk(plan[0]["Plan"])
        return total

    def measure(self) -> int:
        return self.instructions if self.engine.dialect.name == "sqlite" else self.metric_rows()
