"""One benchmark run, start to end: its database, seeding, gunicorn, the phases in order, the report, the cleanup."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import time

import site_size
from common import BENCH_DIR, PYTHON, RESULTS_DIR, log, run_subprocess
from database import Database
from phases import SAMPLE_PATH, Context, admin_login, cold_render, read_phase, static_check
from report import Results, report
from server import Server
from writes import write_phase


class Interrupted(Exception):
    """A signal (run.py's handler): the run stops, and its server and database are cleaned up."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Bench:
    """One run with the parsed command-line options; ``run()`` returns the exit status."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.results = Results(args)

    def run(self) -> int:
        args = self.args
        results = self.results
        size = "quick" if args.quick else "full"
        self.db = Database(os.environ.get("DATABASE_URL", ""), size, args.keep_db, args.sqlite_options)
        self.port = args.port or free_port()
        from config.gunicorn import default_workers  # the production sizing, 2 × CPUs + 1 (capped)

        self.workers = args.workers or default_workers()
        self.concurrency = args.concurrency or 2 * self.workers
        prefix = f"bench-{secrets.token_hex(4)}"
        cache_url = args.redis if args.redis else "locmemcache://bench"
        RESULTS_DIR.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "RATE_LIMIT", "DJANGO_"))}
        self.server_env = {
            **base_env,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "RATELIMIT_ENABLE": "false",
            "DATABASE_URL": self.db.url,
            "CACHE_URL": cache_url,
            "CACHE_KEY_PREFIX": prefix,
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "LOG_LEVEL": "WARNING",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(self.workers),
            "GUNICORN_ACCESS_LOG": str(RESULTS_DIR / f"access-{stamp}.log"),
            "GUNICORN_MAX_REQUESTS": str(args.max_requests),
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        }
        self.client_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        server = Server(self.server_env, self.port, RESULTS_DIR / f"gunicorn-{stamp}.log")
        self.server = server
        started = time.monotonic()
        try:
            log(
                f"database: {self.db.display}; cache: {cache_url} (prefix {prefix}); {self.workers} workers, "
                f"{self.concurrency} client connections, {args.client_procs} client process(es)"
            )
            self.db.create()
            if self.db.reused:
                log("reusing the kept, seeded database (--keep-db)")
                run_subprocess([PYTHON, "manage.py", "migrate", "--noinput"], self.server_env, 600, "migrate")
            else:
                t0 = time.monotonic()
                run_subprocess([PYTHON, "manage.py", "migrate", "--noinput"], self.server_env, 600, "migrate")
                self.db.after_migrate()
                log(f"migrated in {time.monotonic() - t0:.1f} s; seeding ({size})")
                out = run_subprocess(
                    [PYTHON, str(BENCH_DIR / "seed.py"), "seed", "--size", size, "--out", str(self.db.info_path)],
                    self.server_env,
                    1800,
                    "seeding",
                )
                log(f"seeded: {out.strip()}")
            self.info = json.loads(self.db.info_path.read_text())
            ctx = Context(
                args=args,
                port=self.port,
                workers=self.workers,
                concurrency=self.concurrency,
                server=server,
                db=self.db,
                server_env=self.server_env,
                client_env=self.client_env,
                info=self.info,
                results=results,
            )
            run_subprocess([PYTHON, "manage.py", "collectstatic", "--noinput"], self.server_env, 600, "collectstatic")
            server.start()
            log(f"gunicorn on 127.0.0.1:{self.port}, workers {server.worker_pids()}")
            results.notes.append(static_check(self.port))

            large = self.info["large"]
            large_path = f"/articles/{large['slug']}/"
            admin = admin_login(self.info)
            n_admin = sum(self.info["counts"].get(k, 0) for k in ("annotations",)) if "counts" in self.info else 0

            read_phase(ctx, "/healthz (baseline)", "/healthz", key="healthz")
            read_phase(ctx, "sample article, warm cache", SAMPLE_PATH, key="sample_warm")
            cold_render(
                ctx, f"large article, cold render (n={args.cold_samples})", large_path, large["id"], args.cold_samples
            )
            read_phase(ctx, f"large article ({large['annotations']:,} annotations), warm", large_path, key="large_warm")
            results.memory_after_large = server.worker_memory()
            read_phase(
                ctx,
                "W3C annotation collection (large)",
                f"/articles/{large['slug']}/annotations/",
                key="collection",
                probe_404=True,
            )
            read_phase(ctx, "Atom feed (large)", f"/articles/{large['slug']}/feed/", key="feed", probe_404=True)
            read_phase(
                ctx,
                f"admin moderation queue ({n_admin:,} annotations)",
                "/admin/annotations/annotation/queue/",
                login=admin,
                key="admin_queue",
            )
            read_phase(ctx, "admin changelist", "/admin/annotations/annotation/", login=admin, key="admin_changelist")
            write_phase(ctx)
            results.memory_end = server.worker_memory()
            if args.scale:  # the large article's own surfaces before and after the site grows (site_size.py)
                results.phases["scale"] = {"seeded_annotations": self.info.get("counts", {}).get("annotations", 0)}
                site_size.before(ctx)
                site_size.grow(ctx, args.scale)
                site_size.after(ctx, args.scale)
            report(
                results,
                size=size,
                seconds=time.monotonic() - started,
                db_display=self.db.display,
                cache_url=self.server_env["CACHE_URL"],
                workers=self.workers,
                concurrency=self.concurrency,
                log_problems=server.log_problems(),
            )
            return 0
        except (Interrupted, KeyboardInterrupt) as exc:
            log(f"interrupted ({exc or 'Ctrl-C'}): cleaning up")
            return 130
        finally:
            server.stop()
            if args.keep_db:
                log(f"kept the database: {self.db.display}")
            else:
                try:
                    self.db.drop()
                except Exception as exc:  # noqa: BLE001
                    log(f"could not drop the database {self.db.display}: {exc}")
            if args.redis:
                clean_redis(args.redis, prefix)


def clean_redis(url: str, prefix: str) -> None:
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=5)
        keys = []
        for i, key in enumerate(client.scan_iter(match=f"{prefix}:*", count=1000)):
            keys.append(key)
            if i > 1_000_000:
                break
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    except Exception as exc:  # noqa: BLE001
        log(f"could not clean Redis keys {prefix}:*: {exc}")
