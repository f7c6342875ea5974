"""What several benchmarks need, made once per run: a scratch folder, a demo data folder to copy, many
learner accounts quickly, the machine's description, and running `lantern` commands (pinned with --pi).

Everything is generated under one temporary folder that is removed when the process ends.
"""
import atexit
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from bench import server_process
from bench.server_process import REPO, lantern_command

_scratch: Path | None = None
_demo: Path | None = None
_packs: dict = {}  # LibrarySpec -> built pack file
_libraries: dict = {}  # tuple of LibrarySpec -> data folder template (demo + those packs imported)
_PIN = "2468"


def scratch() -> Path:
    """One temporary folder for this run's generated data (removed at exit)."""
    global _scratch
    if _scratch is None:
        _scratch = Path(tempfile.mkdtemp(prefix="lantern-bench-"))
        atexit.register(shutil.rmtree, _scratch, ignore_errors=True)
    return _scratch


def fresh_dir(name: str) -> Path:
    """A new empty folder under the scratch folder."""
    path = scratch() / f"{name}-{uuid.uuid4().hex[:6]}"
    path.mkdir(parents=True)
    return path


def open_data(data_dir: Path) -> dict:
    """Open a data folder's database in this process (migrations run); return its config."""
    from server.config import load_config
    from server.db import open_database
    from server.device.maintenance import prepare_data

    config = load_config(data_dir)
    open_database(config["DATABASE"])
    prepare_data(config)
    return config


def demo_copy(name: str = "demo") -> Path:
    """A data folder holding the demo school (bundled packs, demo accounts): a copy of one made per run."""
    global _demo
    if _demo is None:
        from server.cli.demo import ensure_demo

        _demo = scratch() / "demo-template"
        ensure_demo(open_data(_demo))
    dest = fresh_dir(name)
    shutil.rmtree(dest)
    shutil.copytree(_demo, dest)
    return dest


def library_pack(spec) -> Path:
    """A generated pack (bench.content.LibrarySpec) built with `lantern pack build`; made once per run."""
    from bench.content import write_source

    if spec not in _packs:
        src = write_source(spec, fresh_dir(f"src-{spec.pack_id}"))
        out = scratch() / f"{spec.pack_id}-{uuid.uuid4().hex[:6]}.lantern"
        lantern("pack", "build", str(src), "-o", str(out))
        shutil.rmtree(src)
        _packs[spec] = out
    return _packs[spec]


def library_copy(specs: tuple, name: str = "library") -> Path:
    """A data folder with the demo school and these generated packs imported (in-process, as
    `lantern pack import` does); a copy of a template made once per run (and grown from a shorter one)."""
    from server.db import database
    from server.content.packs.install import Library, import_pack

    specs = tuple(specs)
    if specs not in _libraries:
        done = max((k for k in _libraries if specs[:len(k)] == k), key=len, default=())
        template = fresh_dir("library-template")
        shutil.rmtree(template)
        shutil.copytree(_libraries[done] if done else demo_copy("library-base"), template)
        config = open_data(template)
        for spec in specs[len(done):]:
            with database.connection_context():
                import_pack(library_pack(spec), Library(config["DATA_DIR"]), progress=lambda _: None)
        _libraries[specs] = template
    dest = fresh_dir(name)
    shutil.rmtree(dest)
    shutil.copytree(_libraries[specs], dest)
    return dest


def add_learners(data_dir: Path, count: int, prefix: str = "mix", pin: str = _PIN) -> list[tuple[str, str]]:
    """`count` learner accounts in a class of their own; [(username, PIN)].

    The PIN is hashed once (Argon2id, as `create_account` does) and the hash shared: signing in costs
    exactly what it costs for any learner, but 1,000 accounts take a second to make instead of a minute.
    """
    from server.people.auth import hash_secret
    from server.db import database
    from server.models import Account
    from server.people.school import create_class, the_school

    open_data(data_dir)
    accounts = [(f"{prefix}{n:04d}", pin) for n in range(count)]
    with database.connection_context():
        taken = {a.username for a in Account.select(Account.username).where(Account.username.startswith(prefix))}
        school, hashed = the_school(), hash_secret(pin, is_pin=True)
        classroom = create_class(school, f"Bench class {prefix}")
        rows = [dict(id=str(uuid.uuid4()), school=school.id, username=u, display_name=f"Learner {u}",
                     role="learner", password_hash=hashed, classroom=classroom.id)
                for u, _ in accounts if u not in taken]
        with database.atomic():
            for start in range(0, len(rows), 200):
                Account.insert_many(rows[start:start + 200]).execute()
    return accounts


def lantern(*args: str, timeout: float = 1800, check: bool = True) -> tuple[float, str]:
    """Run one `lantern` command (pinned like the server under --pi); (wall seconds, output)."""
    started = time.perf_counter()
    done = subprocess.run(server_process.pinned(lantern_command() + list(args)), cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)
    seconds = time.perf_counter() - started
    if check and done.returncode != 0:
        raise RuntimeError(f"lantern {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, done.stdout + done.stderr


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    """What the figures were measured on."""
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "nproc": os.cpu_count(),
            "cpu": cpu_model(), "ram_gib": round(mem_kib / 1024**2, 1), "python": sys.version.split()[0],
            "load_average": [round(x, 2) for x in os.getloadavg()], "server_pinned_to_cpu": server_process.CPU_PIN}


def median(values: list[float]) -> float:
    """The median (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]


def ms(seconds: float) -> float:
    """Seconds as milliseconds, one decimal."""
    return round(seconds * 1000, 1)


def storm_plan(data_dir: Path, accounts: list[tuple[str, str]]):
    """An answer_storm Plan (fractions skills and items) for these accounts."""
    from bench.answer_storm import PACK, Plan
    from server.db import database
    from server.models import Item, PackVersion, Skill

    open_data(data_dir)
    with database.connection_context():
        pack = PackVersion.get((PackVersion.pack_id == PACK) & PackVersion.is_active)
        skills = tuple((s.skill_id, tuple(s.prerequisites), s.mastery)
                       for s in Skill.select().where(Skill.pack_version == pack).order_by(Skill.position))
        items = {i.item_id: i.data for i in Item.select().where(Item.pack_version == pack)}
    return Plan(tuple(accounts), skills, items)
