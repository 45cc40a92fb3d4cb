#!/usr/bin/env python3
"""Sorts the samples of a server profile into the parts of a write request, as shares of all samples.

    profile-parts.py SAMPLES

SAMPLES is `perf script -F comm,ip,sym | swift demangle --simplified` of a `perf record -g` of
`itops serve` (Benchmarks/profile-row.sh makes it). Each sample counts once, for the first part in
the table's order that its thread or call stack matches: SQLite's writer and reader threads
(NIOThreadPool, `TP-`), the NIO event loops (`NIO-`), then by the functions on the stack of the
cooperative pool's threads. "No frame of ours" is what is left: task switches and wake-ups of the
Swift concurrency runtime and async frames perf could not walk.
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
    comm, frames = None, []
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None:
                yield comm, " ".join(frames)
            comm, frames = None, []
        elif not line[0].isspace():
            comm, frames = line.split()[0], []
        else:
            parts = line.split(None, 1)
            frames.append(parts[1] if len(parts) > 1 else "?")
    if comm is not None:
        yield comm, " ".join(frames)


def main():
    counts = collections.Counter()
    total = 0
    for comm, stack in samples(sys.argv[1]):
        total += 1
        for name, matches in PARTS:
            if matches(comm, stack):
                counts[name] += 1
                break
    print(f"{total} samples")
    print("| part | share of the server's CPU |")
    print("|---|---|")
    for name, _ in PARTS:
        print(f"| {name} | {100 * counts[name] / max(total, 1):.1f} % |")


if __name__ == "__main__":
    main()
