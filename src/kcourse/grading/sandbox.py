"""Run one command in a bubblewrap sandbox with resource limits.

Inside: no network (all namespaces unshared), an unprivileged user, a
read-only view of the system, the Python installation, the course's virtual
environment and the kcourse package *without* kcourse.reference, plus one
writable work folder. Nothing else of the host (the course root, the
gradebook, other submissions, the instructor's home) exists in there.

Limits: CPU seconds, file size, open files, processes (rlimits, inherited by
every process in the sandbox), address space; resident memory and process
count of the whole sandbox (a watchdog thread, which kills it); wall clock.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import kcourse

SANDBOX_WORKDIR = "/grading"
SANDBOX_UID = 1000

#: /etc entries Python and the kernel need (everything else of /etc stays hidden).
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf",
             "passwd", "group", "hosts", "mime.types", "ssl/certs", "fonts")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create its namespaces here."""


@dataclass
class Limits:
    """Bounds of one sandboxed run."""

    wall_seconds: float = 600.0
    memory_mb: int = 4096           # resident memory of all processes together
    max_processes: int = 64         # processes in the sandbox (threads not counted)
    max_tasks: int = 512            # processes and threads, where a cgroup can bound them
    file_size_mb: int = 256         # largest file written
    open_files: int = 1024
    tmp_mb: int = 512               # size of the sandbox's /tmp

    @property
    def cpu_seconds(self) -> int:
        # TensorFlow runs several threads: allow a few cores' worth of the wall time.
        return int(self.wall_seconds * 4) + 60


@dataclass
class RunResult:
    returncode: int | None
    status: str                     # "ok", "exit", "timeout", "memory", "processes"
    seconds: float
    peak_memory_mb: float = 0.0
    peak_tasks: int = 0
    output: str = ""
    notes: list[str] = field(default_factory=list)


def project_paths() -> dict[str, Path]:
    """What the sandbox must see: the Python installation, the venv, the kcourse package."""
    package = Path(kcourse.__file__).resolve().parent
    return {
        "base_prefix": Path(sys.base_prefix).resolve(),
        "venv": Path(sys.prefix).resolve(),
        "package": package,
        "reference": package / "reference",
    }


def bwrap_command(workdir: Path, argv: list[str], env: dict[str, str], limits: Limits) -> list[str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed: `apt-get install bubblewrap`, "
            "or pass --no-sandbox to grade trusted submissions without isolation."
        )
    paths = project_paths()
    command = [
        bwrap, "--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID),
        "--gid", str(SANDBOX_UID), "--die-with-parent", "--new-session", "--cap-drop", "ALL",
        "--ro-bind", "/usr", "/usr",
    ]
    for name in ("lib", "lib64", "bin", "sbin"):
        target = Path("/") / name
        if target.is_symlink():
            command += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            command += ["--ro-bind", str(target), str(target)]
    for name in ETC_FILES:
        command += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    # /tmp first: a checkout or Python under /tmp is bound on top of it, not hidden by it.
    command += ["--size", str(limits.tmp_mb * 1024 * 1024), "--tmpfs", "/tmp"]
    for key in ("base_prefix", "venv", "package"):
        command += ["--ro-bind", str(paths[key]), str(paths[key])]
    command += [
        "--tmpfs", str(paths["reference"]),          # the instructors' solutions: hidden
        "--bind", str(workdir), SANDBOX_WORKDIR,
        "--proc", "/proc", "--dev", "/dev",
        "--chdir", SANDBOX_WORKDIR, "--clearenv",
    ]
    for key, value in env.items():
        command += ["--setenv", key, value]
    return command + ["--", *argv]


def sandbox_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    home = f"{SANDBOX_WORKDIR}/home"
    env = {
        "HOME": home,
        "PATH": f"{project_paths()['venv']}/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "JUPYTER_RUNTIME_DIR": f"{home}/runtime",
        "JUPYTER_DATA_DIR": f"{home}/data",
        "IPYTHONDIR": f"{home}/ipython",
        "MPLCONFIGDIR": f"{home}/matplotlib",
        "MPLBACKEND": "Agg",
        "KERAS_HOME": f"{home}/keras",
        "PYTHONDONTWRITEBYTECODE": "1",
        # One thread pool per sandbox: grading runs several sandboxes side by side.
        "TF_NUM_INTRAOP_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    env.update(extra or {})
    return env


def _set_limits(limits: Limits, cgroup: Cgroup | None = None):
    def apply():
        os.setsid()
        if cgroup is not None:
            cgroup.join()
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        size = limits.file_size_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        address_space = 3 * limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    return apply


def _process_tree(root_pid: int) -> list[int]:
    """root_pid and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    tree, stack = [], [root_pid]
    while stack:
        pid = stack.pop()
        tree.append(pid)
        stack.extend(children.get(pid, []))
    return tree


def _resident_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run(argv: list[str], workdir: Path, limits: Limits, env: dict[str, str] | None = None,
        sandbox: bool = True, max_output_bytes: int = 200_000) -> RunResult:
    """Run argv (in the sandbox unless sandbox=False) and watch it until it ends."""
    workdir.mkdir(parents=True, exist_ok=True)
    environment = sandbox_env(env)
    if sandbox:
        command = bwrap_command(workdir, argv, environment, limits)
        popen_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    else:
        command = argv
        popen_env = {**environment, "HOME": str(workdir / "home")}
        popen_env = {k: v.replace(SANDBOX_WORKDIR, str(workdir)) for k, v in popen_env.items()}
    log_path = workdir.parent / f"{workdir.name}.log"
    started = time.monotonic()
    cgroup = Cgroup(f"kcourse-{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}",
                    limits.max_tasks, limits.memory_mb)
    with open(log_path, "wb") as log:
        try:
            process = subprocess.Popen(
                command, cwd=workdir, env=popen_env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, preexec_fn=_set_limits(limits, cgroup),
            )
        except BaseException:
            cgroup.close()
            raise
        status, peak, peak_tasks = "ok", 0.0, 0
        while process.poll() is None:
            elapsed = time.monotonic() - started
            usage = cgroup.usage()
            if usage is not None:  # cheap: two small files; the kernel enforces the bounds
                tasks, memory = usage
                peak_tasks = max(peak_tasks, tasks)
                too_many = tasks > limits.max_tasks
            else:                   # scan /proc for the process tree
                pids = _process_tree(process.pid)
                memory = _resident_mb(pids)
                too_many = len(pids) > limits.max_processes + 4  # + bwrap and its helpers
            peak = max(peak, memory)
            if elapsed > limits.wall_seconds:
                status = "timeout"
            elif memory > limits.memory_mb:
                status = "memory"
            elif too_many:
                status = "processes"
            if status != "ok":
                _kill(process)
                process.wait()
                break
            try:  # returns as soon as the command ends
                process.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                pass
        _kill(process)  # anything the command left behind in its session
        oom = _oom_killed(cgroup)
        cgroup.close()
    seconds = time.monotonic() - started
    output = log_path.read_bytes()[-max_output_bytes:].decode("utf-8", "replace")
    log_path.unlink(missing_ok=True)
    if status == "ok" and process.returncode != 0:
        status = "memory" if oom else "exit"
    return RunResult(process.returncode, status, seconds, peak, peak_tasks, output,
                     notes=[f"cgroup limits: {', '.join(cgroup.enforced) or 'none (watchdog)'}"])


def _oom_killed(cgroup: Cgroup) -> bool:
    for path in cgroup.dirs:
        for name in ("memory.events", "memory.oom_control"):
            try:
                text = (path / name).read_text()
            except OSError:
                continue
            for line in text.splitlines():
                key, _, value = line.partition(" ")
                if key in ("oom_kill", "oom_kill_disable") and key == "oom_kill" \
                        and value.strip() not in ("", "0"):
                    return True
    return False


def probe(limits: Limits | None = None) -> None:
    """Raise SandboxUnavailable, with bubblewrap's own words, if a sandbox cannot start here."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kcourse-probe-") as tmp:
        result = run([sys.executable, "-c", "print('sandbox ok')"], Path(tmp) / "work",
                     limits or Limits(wall_seconds=60))
    if result.status != "ok" or "sandbox ok" not in result.output:
        raise SandboxUnavailable(
            "the grading sandbox (bubblewrap) could not start here: "
            f"{result.output.strip()[-500:] or result.status}. Grading untrusted code "
            "without it is unsafe; pass --no-sandbox only for trusted submissions."
        )


class Cgroup:
    """A per-run cgroup (v1 or v2) bounding tasks and memory where this machine allows it.

    The watchdog above polls every 0.1 s; a fork bomb or a burst allocation is faster
    than that, so where a writable cgroup hierarchy exists the kernel enforces the
    bounds itself. `enforced` lists what it could set (empty: watchdog only).
    """

    V1 = Path("/sys/fs/cgroup")

    def __init__(self, name: str, max_tasks: int, memory_mb: int):
        self.dirs: list[Path] = []
        self.enforced: list[str] = []
        unified = self.V1 / "cgroup.controllers"
        if unified.is_file():  # cgroup v2
            self._make(self.V1 / name, {"pids.max": max_tasks,
                                        "memory.max": memory_mb * 2**20}, "pids+memory")
            return
        self._make(self.V1 / "pids" / name, {"pids.max": max_tasks}, "pids")
        memory_root = self.V1 / "memory" / self._own_path("memory")
        self._make(memory_root / name, {"memory.limit_in_bytes": memory_mb * 2**20}, "memory")

    @staticmethod
    def _own_path(controller: str) -> str:
        try:
            for line in Path("/proc/self/cgroup").read_text().splitlines():
                _, controllers, path = line.split(":", 2)
                if controller in controllers.split(","):
                    return path.lstrip("/")
        except OSError:
            pass
        return ""

    def _make(self, path: Path, settings: dict, label: str) -> None:
        try:
            path.mkdir()
            for key, value in settings.items():
                (path / key).write_text(str(value))
        except OSError:
            if path.is_dir():
                try:
                    path.rmdir()
                except OSError:
                    pass
            return
        self.dirs.append(path)
        self.enforced.append(label)

    def usage(self) -> tuple[int, float] | None:
        """(tasks, resident MB) from the kernel's own accounting, if both are available."""
        tasks = memory = None
        for path in self.dirs:
            for name in ("pids.current",):
                if (path / name).is_file():
                    tasks = int((path / name).read_text())
            if (path / "memory.stat").is_file():  # resident memory, not the page cache
                stat = dict(line.split() for line in (path / "memory.stat").read_text()
                            .splitlines() if len(line.split()) == 2)
                for key in ("total_rss", "anon"):
                    if key in stat:
                        memory = int(stat[key]) / 2**20
                        break
        return None if tasks is None or memory is None else (tasks, memory)

    def join(self) -> None:
        """Move the calling process (in preexec) into every cgroup made."""
        for path in self.dirs:
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def close(self) -> None:
        for path in self.dirs:
            for _ in range(50):
                try:
                    for pid in (path / "cgroup.procs").read_text().split():
                        os.kill(int(pid), signal.SIGKILL)
                    path.rmdir()
                    break
                except (OSError, ValueError):
                    time.sleep(0.1)
