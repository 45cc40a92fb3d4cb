#!/usr/bin/env python3
"""Dashboard viewers for Benchmarks/mixed.sh: VIEWERS threads, each on its own keep-alive connection,
asking the console overview's SLA questions (slaDashboardStats and every group's status) back to back
for SECONDS, then printing one line: answers, answers/s, p50 and p99 in ms, errors, timeouts, p99.9 and the slowest in ms,
and the viewers' own CPU seconds (they share the machine's cores with the server).

    mixed-viewers.py URL KEY VIEWERS SECONDS
"""
import http.client
import json
import resource
import sys
import threading
import time
import urllib.parse

url, key, viewers, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
parsed = urllib.parse.urlparse(url)
QUERY = json.dumps({"query": "{ slaDashboardStats { totalServices servicesWithSla metCount atRiskCount "
                             "breachedCount averageUptime } slaGroups { name status currentUptime } }"})
TIMEOUT = 5.0
lock = threading.Lock()
latencies, errors, timeouts = [], [], [0]


def viewer(deadline):
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=TIMEOUT)
    while time.monotonic() < deadline:
        start = time.monotonic()
        try:
            connection.request("POST", "/graphql", QUERY, {"Content-Type": "application/json", "X-API-Key": key})
            response = connection.getresponse()
            body = response.read()
            elapsed = time.monotonic() - start
            ok = response.status == 200 and b'"errors"' not in body
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors.append(f"{response.status} {body[:120]!r}")
        except (TimeoutError, OSError) as error:
            with lock:
                timeouts[0] += 1
                if not isinstance(error, TimeoutError):
                    errors.append(repr(error))
            connection.close()
            connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=TIMEOUT)


deadline = time.monotonic() + seconds
threads = [threading.Thread(target=viewer, args=(deadline,)) for _ in range(viewers)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
latencies.sort()


def percentile(p):
    return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else float("nan")


print(f"{len(latencies)} {len(latencies) / seconds:.2f} {percentile(0.5):.1f} {percentile(0.99):.1f} "
      f"{len(errors)} {timeouts[0]} {percentile(0.999):.1f} {percentile(1.0):.1f} "
      f"{resource.getrusage(resource.RUSAGE_SELF).ru_utime + resource.getrusage(resource.RUSAGE_SELF).ru_stime:.1f}")
if errors:
    print("first error:", errors[0], file=sys.stderr)
