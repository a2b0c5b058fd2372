"""CPU seconds spent by the service's workers and by PostgreSQL during a run.

On a shared machine, wall-clock rates move with everyone else's load; CPU time per request
moves much less, so it tells where each request's cost goes (service or database).
"""

import psutil


def _total(process: psutil.Process, *, with_exited_children: bool = False) -> float:
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    total = times.user + times.system
    if with_exited_children:  # backends that ended during the run were reaped by the postmaster
        total += times.children_user + times.children_system
    return total


def processes_cpu(processes: list[psutil.Process]) -> float:
    return sum(_total(process) for process in processes)


def postmaster(data_directory: str) -> psutil.Process | None:
    """The PostgreSQL server with this data directory, when it runs on this machine."""
    for process in psutil.process_iter(["name", "cmdline", "ppid"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and data_directory in cmdline:
            return process
    return None


def postgres_cpu(server: psutil.Process) -> float:
    """The server's CPU so far: itself, its live processes and those that have exited."""
    try:
        children = server.children()
    except psutil.NoSuchProcess:
        return 0.0
    return _total(server, with_exited_children=True) + processes_cpu(children)
