#!/usr/bin/env python3
"""Sorts the samples of a server profile into the parts of a write request, as shares of all samples.

    profile-parts.py SAMPLES [REQUESTS]

SAMPLES is `perf script -F comm,ip,sym | swift demangle --simplified` of a `perf record -g` of
`itops serve` (Benchmarks/profile-row.sh makes it). Each sample counts once, for the first part in
the table's order that its thread or call stack matches: SQLite's writer and reader threads
(NIOThreadPool, `TP-`), the NIO event loops (`NIO-`), then by the functions on the stack of the
cooperative pool's threads. "No frame of ours" is what is left: task switches and wake-ups of the
Swift concurrency runtime and async frames perf could not walk. With REQUESTS (how many requests
the profiled window served), it also prints the server's CPU time per request: perf's cpu-clock
samples each carry their period in nanoseconds (`perf script -F …,period`).
"""
import collections
import sys

PARTS = [
    ("SQLite's threads: statements, WAL writes, fsync, hand-offs", lambda comm, stack: comm.startswith("TP-")),
    ("event loops: sockets, HTTP/1 parsing and writing", lambda comm, stack: comm.startswith("NIO-")),
    ("JSON: request body decoded", lambda comm, stack: "JSONDecoder" in stack or "decodeJSON" in stack),
    ("JSON: response encoded", lambda comm, stack: "JSONEncoder" in stack or "jsonResponse" in stack),
    ("statements built, sent and read back (SQLKit, sqlite-kit), write queue",
     lambda comm, stack: any(k in stack for k in ("SQLKit", "SQLiteKit", "SQLiteNIO", "SQLAccess", "WriteQueue",
                                                 "SQLQuery", "SQLStore", "Record"))),
    ("auth (API key)", lambda comm, stack: "APIKeys" in stack or "Authenticator" in stack),
    ("request middleware: id, metrics, log metadata", lambda comm, stack: "RequestMiddleware" in stack
     and "Ingest" not in stack),
    ("ingest logic and events", lambda comm, stack: any(k in stack for k in ("Ingest", "EventBus", "HealthPushes",
                                                                          "ServiceDirectory", "EventLog",
                                                                          "TicketDesk", "Service."))),
    ("Hummingbird router, request and response plumbing",
     lambda comm, stack: any(k in stack for k in ("Hummingbird", "HTTPServer", "NIOAsync", "Router"))),
    ("no frame of ours: Swift concurrency task switches and wake-ups", lambda comm, stack: True),
]


def samples(path):
    """(thread name, stack, period in ns) per sample; the period is 0 when the header lacks it."""
    comm, period, frames = None, 0, []
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None:
                yield comm, " ".join(frames), period
            comm, period, frames = None, 0, []
        elif not line[0].isspace():
            fields = line.split()
            comm, frames = fields[0], []
            period = int(fields[-1]) if fields[-1].isdigit() else 0
        else:
            parts = line.split(None, 1)
            frames.append(parts[1] if len(parts) > 1 else "?")
    if comm is not None:
        yield comm, " ".join(frames), period


def main():
    counts = collections.Counter()
    total = 0
    nanoseconds = 0
    for comm, stack, period in samples(sys.argv[1]):
        total += 1
        nanoseconds += period
        for name, matches in PARTS:
            if matches(comm, stack):
                counts[name] += 1
                break
    print(f"{total} samples, {nanoseconds / 1e9:.2f} s of the server's CPU")
    if len(sys.argv) > 2 and nanoseconds:
        requests = float(sys.argv[2])
        print(f"server CPU per request: {nanoseconds / 1e3 / requests:,.0f} µs ({requests:,.0f} requests)")
    print("| part | share of the server's CPU |")
    print("|---|---|")
    for name, _ in PARTS:
        print(f"| {name} | {100 * counts[name] / max(total, 1):.1f} % |")


if __name__ == "__main__":
    main()
