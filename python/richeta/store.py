"""Reading a sweep store (the SQLite file of ``richeta sweep`` and
:meth:`Sweep.run`) with Python's own sqlite3: every stored column of the
runs (training and held-out losses), their curves, and the provenance of
the sweep runs that wrote them. Keys and values follow docs/output.md: the
store's column names, status words, None where the store holds NULL.

    with richeta.Store("sweep.db") as st:
        runs = st.runs()          # dict of lists, one entry per run
        curves = st.curves()      # dict of lists, one entry per logged step
        st.provenance()           # list of dicts
"""

import os
import sqlite3
import urllib.parse

__all__ = ["Store"]

_RUN_COLUMNS = ("id", "config_hash", "gamma", "eta0", "seed", "eta", "status", "steps",
                "initial_loss", "final_loss", "best_loss", "test_initial_loss",
                "test_final_loss", "test_best_loss", "test_accuracy", "wall_time", "message",
                "config")
# a diverged run has no final loss (docs/output.md; stores of 1.0 hold the blown-up value)
_RUN_SELECT = tuple("CASE WHEN status = 'diverged' THEN NULL ELSE %s END" % c
                    if c in ("final_loss", "test_final_loss") else c for c in _RUN_COLUMNS)
_CURVE_COLUMNS = ("run_id", "step", "train_loss", "test_loss", "test_accuracy", "eta")
_CURVE_SELECT = ("run_id", "step", "loss", "test_loss", "test_accuracy", "eta")


class Store:
    """A sweep store opened for reading (never written: the connection
    refuses writes, and closing it leaves no -wal or -shm file behind).

    ``Store(path)``: a missing or unreadable file is an OSError, a file that
    is not a richeta store a ValueError."""

    def __init__(self, path):
        path = os.fspath(path)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        if not os.path.exists(path):
            raise FileNotFoundError(2, "no such store", path)
        self.path = path
        self._db = self._connect(path)
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError as e:
            self.close()
            raise ValueError("%s is not a richeta sweep store (%s)" % (path, e)) from None
        if row is None:
            self.close()
            raise ValueError("%s is not a richeta sweep store (no schema version)" % path)
        self.schema_version = int(row[0])

    @staticmethod
    def _connect(path):
        uri = "file:" + urllib.parse.quote(os.path.abspath(path))
        try:  # read-write but query-only: the last connection out removes the WAL files
            db = sqlite3.connect(uri + "?mode=rw", uri=True)
            db.execute("PRAGMA query_only=1")
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError:
            pass
        try:
            return sqlite3.connect(uri + "?mode=ro", uri=True)
        except sqlite3.OperationalError as e:
            raise PermissionError(13, "cannot open store (%s)" % e, path) from None

    def close(self):
        """Close the connection (also done by ``with``)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _query(self, sql, args=()):
        if self._db is None:
            raise ValueError("Store is closed")
        return self._db.execute(sql, args)

    def _has_table(self, name):
        return self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                           (name,)).fetchone() is not None

    def sweeps(self):
        """The sweeps of the store: a list of dicts config_hash, config, depth."""
        return [{"config_hash": h, "config": c, "depth": d} for h, c, d in
                self._query("SELECT config_hash, config, depth FROM sweeps ORDER BY config_hash")]

    def _hash_filter(self, config_hash):
        if config_hash is None:
            return "", ()
        if not any(s["config_hash"] == config_hash for s in self.sweeps()):
            raise KeyError("no sweep %r in %s" % (config_hash, self.path))
        return " WHERE config_hash = ?", (config_hash,)

    def runs(self, config_hash=None):
        """Every stored column of the runs (of one sweep when ``config_hash``
        is given; KeyError for an unknown hash) as a dict of lists, sorted by
        (config_hash, gamma, eta0, seed): ``final_loss`` is the training-batch
        loss, ``test_final_loss`` the held-out one; None where not stored
        (e.g. the losses of a failed run, the held-out losses without a
        held-out set, the final losses of a diverged run)."""
        where, args = self._hash_filter(config_hash)
        rows = self._query("SELECT %s FROM runs%s ORDER BY config_hash, gamma, eta0, seed"
                           % (", ".join(_RUN_SELECT), where), args).fetchall()
        return {c: [r[i] for r in rows] for i, c in enumerate(_RUN_COLUMNS)}

    def curves(self, config_hash=None):
        """The logged points of every run (``run_id`` as in :meth:`runs`) as a
        dict of lists, sorted by (run_id, step): ``train_loss`` is the
        training-batch loss (the store's column ``loss``), ``test_loss`` the
        held-out one."""
        where, args = self._hash_filter(config_hash)
        sql = ("SELECT %s FROM curves WHERE run_id IN (SELECT id FROM runs%s) ORDER BY run_id, step"
               % (", ".join(_CURVE_SELECT), where))
        rows = self._query(sql, args).fetchall()
        return {c: [r[i] for r in rows] for i, c in enumerate(_CURVE_COLUMNS)}

    def provenance(self):
        """One dict per ``richeta_sweep_run()`` call that wrote to the store:
        config_hash, library_version, command_line, host, pid, started_at and
        finished_at (Unix seconds; finished_at None while running or after a
        kill) and outcome ("ok" or the failure). Empty for stores written
        before provenance was recorded."""
        if not self._has_table("provenance"):
            return []
        cols = ("config_hash", "library_version", "command_line", "host", "pid", "started_at",
                "finished_at", "outcome")
        return [dict(zip(cols, r)) for r in
                self._query("SELECT %s FROM provenance ORDER BY id" % ", ".join(cols))]

    def __repr__(self):
        return "<richeta.Store %r%s>" % (self.path, " closed" if self._db is None else "")
