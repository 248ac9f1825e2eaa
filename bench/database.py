"""The benchmark's own database: created (or a kept one reused), its article touched for the cold render, dropped.

A SQLite file under bench/results/, or a throwaway ``bench_…`` database on the
PostgreSQL server DATABASE_URL names.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sqlite3
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from common import BASE_DIR, RESULTS_DIR

if TYPE_CHECKING:
    import psycopg  # imported when used: SQLite runs need no PostgreSQL driver


class Database:
    """The benchmark's own database: a SQLite file, or a throwaway PostgreSQL database."""

    def __init__(self, server_url: str | None, size: str, keep: bool, sqlite_options: str = ""):
        self.keep = keep
        self.reused = False
        if server_url and server_url.startswith(("postgres://", "postgresql://", "pgsql://")):
            self.kind = "postgresql"
            parts = urllib.parse.urlsplit(server_url)
            self.name = f"bench_keep_{size}" if keep else f"bench_{size}_{secrets.token_hex(4)}"
            self._server = parts
            self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{self.name}"))
            self.display = f"PostgreSQL {parts.hostname}:{parts.port or 5432}/{self.name}"
        else:
            self.kind = "sqlite"
            RESULTS_DIR.mkdir(exist_ok=True)
            stem = f"bench-{size}" if keep else f"bench-{size}-{os.getpid()}"
            self.path = RESULTS_DIR / f"{stem}.sqlite3"
            # By default, Django 5.1+ SQLite options for concurrent writers: take
            # the write lock at BEGIN (no upgrade deadlocks), wait up to 20 s for it.
            self.sqlite_options = sqlite_options
            self.url = f"sqlite:///{self.path}" + (f"?{sqlite_options}" if sqlite_options else "")
            self.display = f"SQLite {self.path.relative_to(BASE_DIR)} (WAL; {sqlite_options or 'Django defaults'})"
        self.info_path = RESULTS_DIR / f"seed-{size}-{'keep' if keep else os.getpid()}-{self.kind}.json"

    def _admin_conn(self) -> psycopg.Connection:
        import psycopg

        maintenance = urllib.parse.urlunsplit(self._server._replace(path="/postgres"))
        return psycopg.connect(maintenance, autocommit=True, connect_timeout=5)

    def exists(self) -> bool:
        if self.kind == "sqlite":
            return self.path.exists()
        with self._admin_conn() as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone() is not None

    def create(self) -> None:
        if self.keep and self.exists() and self.info_path.exists():
            self.reused = True
            return
        self.drop()
        if self.kind == "postgresql":
            with self._admin_conn() as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')

    def after_migrate(self) -> None:
        if self.kind == "sqlite":
            with sqlite3.connect(self.path) as conn:
                conn.execute("PRAGMA journal_mode=WAL")  # persistent: readers do not block the writer

    def drop(self) -> None:
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        else:
            with self._admin_conn() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.info_path.unlink(missing_ok=True)

    def touch_article(self, article_id: int) -> None:
        """Set the article's updated_at: its cached body's key changes for every worker."""
        if self.kind == "sqlite":
            now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            with sqlite3.connect(self.path, timeout=20) as conn:
                conn.execute("UPDATE articles_article SET updated_at = ? WHERE id = ?", [now, article_id])
        else:
            import psycopg

            with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                conn.execute("UPDATE articles_article SET updated_at = clock_timestamp() WHERE id = %s", [article_id])

    def busiest_paragraph(self, article_id: int) -> str:
        """The key of the article's paragraph with the most annotations (its paragraph page is the heaviest)."""
        sql = (
            "SELECT b.key FROM articles_block b JOIN annotations_annotation a ON a.block_id = b.id "
            "WHERE b.article_id = {p} GROUP BY b.id, b.key ORDER BY count(*) DESC, b.id LIMIT 1"
        )
        if self.kind == "sqlite":
            with sqlite3.connect(self.path, timeout=20) as conn:
                return conn.execute(sql.format(p="?"), [article_id]).fetchone()[0]
        import psycopg

        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(sql.format(p="%s"), [article_id]).fetchone()[0]
