"""Dagster's SQLite storage with an event log that keeps its connections open.

Dagster's SQLite event log opens a new engine and connection for every event it stores and
closes it afterwards. In WAL mode each commit is then a sync of the WAL and each close of
the last connection a checkpoint (another sync) and the removal of the WAL file: about 10 ms
per event on a quiet disk, several times that on a busy one. A build stores ~400 events (step
start/input/output/success, materialisations, check evaluations), and most of them twice
(the run's own database and the cross-run index), so this alone cost seconds per build.

`EventLogStorage` keeps one engine with an open connection per database (the index and the
few most recent runs) and runs WAL with `synchronous=NORMAL`: a commit is durable once the WAL
is synced at the next checkpoint, and the database stays consistent after a crash or a power
loss (SQLite's guarantee for WAL + NORMAL; at worst the last events of a run are lost, never
a run's earlier ones or the warehouse, which is written apart). The files on disk are the
standard Dagster SQLite layout: the webserver and the daemon read them as before.

Used through `storage: custom:` in deploy/dagster.yaml (`Storage`, same `base_dir` as
`storage: sqlite:`)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import create_db_conn_string
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from sqlalchemy import event
from sqlalchemy.pool import QueuePool

# SQLite waits this long for a lock held by another process (Dagster's own value).
BUSY_TIMEOUT_SECONDS = 30
# Databases whose engine stays open: the index and the runs being written or read now. A
# webserver reads many runs; older engines are closed as newer ones are opened.
OPEN_DATABASES = 4


def _pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class EventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage whose connections stay open (see the module docstring)."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, object] = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str):
        with self._engines_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                engine = create_engine(
                    create_db_conn_string(self._base_dir, shard),
                    poolclass=QueuePool,
                    pool_size=1,
                    max_overflow=4,
                    connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                )
                event.listen(engine, "connect", _pragmas)
            self._engines[shard] = engine
            while len(self._engines) > OPEN_DATABASES:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def close_connections(self) -> None:
        """Close every open connection (the last close checkpoints the WAL into the file)."""
        with self._engines_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def dispose(self) -> None:
        self.close_connections()
        super().dispose()


class Storage(DagsterSqliteStorage):
    """Dagster's SQLite storage (runs, event logs, schedules under `base_dir`) with the event
    log above."""

    def __init__(self, base_dir: str, inst_data=None):
        super().__init__(base_dir, inst_data=inst_data)
        self._event_log_storage = EventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls.from_local(inst_data=inst_data, **config_value)
