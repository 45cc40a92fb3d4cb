#!/usr/bin/env python3
"""Load while attacked: a real `itops serve` on loopback keeps answering /health and agent pushes
while other processes send it the worst documents and sign-in floods the limits allow.

    Benchmarks/under-attack.py [--binary .build/release/itops] [--seconds 20] [--services 2000]

Attackers (each its own process, so their Python does not slow the measuring one):
  * graphql-worst: exponential fragment documents, cyclic fragments, documents at the depth and cost
    limits, aliases of every SLA field, page sizes through variable defaults — anonymous and as admin;
  * login-flood: wrong passwords for the admin and for random emails, in parallel;
  * slowloris: connections that send half a request head and then drip nothing.
Meanwhile the measuring process asks GET /health every 10 ms and pushes health/report every 20 ms.
Passes when /health's p99 stays under 100 ms and every push is answered 200. Bounded: --seconds of
attack (default 20) plus start-up and seeding; loopback only; everything it starts, it stops.
Prints `under-attack: N passed, M failed` as its last line.
"""
import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

OPERATOR_KEY = "attack-operator-key-0123456789"
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "attack-password-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, headers=None, timeout=30):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def graphql(port, query, token=None, variables=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    return request(port, "POST", "/graphql", json.dumps({"query": query, "variables": variables or {}}), headers)


def exponential_fragments(levels):
    text = "{...f0}"
    for level in range(levels):
        text += "fragment f%d on Query{me{id}...f%d ...f%d}" % (level, level + 1, level + 1)
    return text + "fragment f%d on Query{me{id}}" % levels


def worst_documents():
    sla = " ".join("t%d: slaTrendData(filter: {periodType: \"DAILY\", monthsBack: %d}) { periodKey actualValue }"
                   % (i, i % 12 + 1) for i in range(19))
    groups = " ".join("g%d: slaGroups { name status currentUptime services { serviceName status } }" % i
                      for i in range(19))
    deep = "{ services(first: 1) { edges { node { id } } } " + "__schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } }" + " }"
    return [
        (exponential_fragments(23), False),
        ("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }", False),
        ("{ " + sla + " }", True),
        ("{ " + groups + " }", True),
        ("query($n: Int = 500) { services(first: $n) { edges { node { id name status message tags } } } }", True),
        ("{ " + " ".join("a%d: slaDashboardStats { totalServices averageUptime }" % i for i in range(19)) + " }", True),
        (deep, True),
        ("{ nodes { id path } slaGroups { name services { serviceName } } }", True),
        ("{ me { id } " + "x" * 30000 + " }", False),
    ]


def graphql_worst(port, token, stop, counts):
    documents = worst_documents()
    while not stop.is_set():
        document, authenticated = random.choice(documents)
        try:
            graphql(port, document, token if authenticated else None)
            counts["graphql"] = counts.get("graphql", 0) + 1
        except Exception:
            counts["graphql_errors"] = counts.get("graphql_errors", 0) + 1


def login_flood(port, stop, counts):
    while not stop.is_set():
        email = ADMIN_EMAIL if random.random() < 0.5 else "u%d@example.com" % random.randrange(10**9)
        try:
            graphql(port, 'mutation { login(email: "%s", password: "wrong-%d") { token } }' % (email, random.randrange(10**9)))
            counts["logins"] = counts.get("logins", 0) + 1
        except Exception:
            counts["login_errors"] = counts.get("login_errors", 0) + 1


def slowloris(port, stop, counts):
    sockets = []
    while not stop.is_set():
        sockets = [s for s in sockets if s.fileno() != -1]
        if len(sockets) < 40:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=2)
                s.sendall(b"POST /api/v1/health/report HTTP/1.1\r\nHost: x\r\nContent-Le")
                sockets.append(s)
                counts["slow_open"] = counts.get("slow_open", 0) + 1
            except OSError:
                counts["slow_refused"] = counts.get("slow_refused", 0) + 1
        time.sleep(0.05)
    for s in sockets:
        s.close()


def attacker(kind, port, token, seconds, threads, results):
    stop = threading.Event()
    counts = {}
    target = {"graphql": lambda: graphql_worst(port, token, stop, counts),
              "login": lambda: login_flood(port, stop, counts),
              "slowloris": lambda: slowloris(port, stop, counts)}[kind]
    workers = [threading.Thread(target=target, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join(timeout=35)
    results.put((kind, counts))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/itops")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--services", type=int, default=2000)
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="itops-attack.")
    port = free_port()
    env = dict(os.environ, ITOPS_DATA_DIR=data, ITOPS_PORT=str(port), ITOPS_OPERATOR_API_KEY=OPERATOR_KEY,
               ITOPS_ADMIN_EMAIL=ADMIN_EMAIL, ITOPS_ADMIN_PASSWORD=ADMIN_PASSWORD, ITOPS_LOG_LEVEL="error")
    server = subprocess.Popen([args.binary, "serve"], env=env, stdout=open(os.path.join(data, "server.log"), "w"),
                              stderr=subprocess.STDOUT)
    failures = []
    try:
        for _ in range(200):
            try:
                if request(port, "GET", "/ready", timeout=1)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)
        push_headers = {"Content-Type": "application/json", "X-API-Key": OPERATOR_KEY}
        for index in range(args.services):
            body = json.dumps({"service": "svc-%d" % index, "nodeId": "org/n%d" % (index % 50),
                               "status": "OPERATIONAL", "slaGroup": "group-%d" % (index % 20), "criticality": "high"})
            request(port, "POST", "/api/v1/health/report", body, push_headers)
        status, body = graphql(port, 'mutation { login(email: "%s", password: "%s") { token } }'
                               % (ADMIN_EMAIL, ADMIN_PASSWORD))
        token = json.loads(body)["data"]["login"]["token"]

        results = multiprocessing.Queue()
        attackers = [multiprocessing.Process(target=attacker, args=(kind, port, token, args.seconds, threads, results))
                     for kind, threads in (("graphql", 8), ("login", 16), ("slowloris", 1))]
        for process in attackers:
            process.start()
        time.sleep(1)  # let the attack build up

        health_latencies, push_statuses = [], []
        health = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        pushes = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        deadline = time.monotonic() + args.seconds - 2
        next_push = time.monotonic()
        flip = False
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                health.request("GET", "/health")
                response = health.getresponse()
                response.read()
                health_latencies.append((time.monotonic() - started) * 1000)
                if response.status != 200:
                    failures.append("/health answered %d" % response.status)
            except Exception as error:  # a dropped connection counts as a failure and is reopened
                failures.append("/health: %r" % error)
                health = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            if time.monotonic() >= next_push:
                next_push += 0.02
                flip = not flip
                body = json.dumps({"service": "svc-%d" % random.randrange(args.services),
                                   "nodeId": "org/pushed", "status": "DEGRADED" if flip else "OPERATIONAL"})
                try:
                    pushes.request("POST", "/api/v1/health/report", body, push_headers)
                    response = pushes.getresponse()
                    response.read()
                    push_statuses.append(response.status)
                except Exception as error:
                    push_statuses.append(str(error))
                    pushes = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            time.sleep(max(0, 0.01 - (time.monotonic() - started)))
        for process in attackers:
            process.join(timeout=60)
        counts = {}
        while not results.empty():
            kind, result = results.get()
            counts.update(result)

        p50, p99 = percentile(health_latencies, 0.5), percentile(health_latencies, 0.99)
        bad_pushes = [s for s in push_statuses if s != 200]
        print("attack: %s" % json.dumps(counts, sort_keys=True))
        print("GET /health under attack: %d requests, p50 %.1f ms, p99 %.1f ms, max %.1f ms"
              % (len(health_latencies), p50, p99, max(health_latencies or [0])))
        print("health/report pushes under attack: %d sent, %d not answered 200 %s"
              % (len(push_statuses), len(bad_pushes), sorted(set(map(str, bad_pushes)))[:5]))
        if not health_latencies or p99 >= 100:
            failures.append("GET /health p99 %.1f ms (must stay under 100 ms)" % p99)
        if not push_statuses or bad_pushes:
            failures.append("%d of %d pushes not answered 200" % (len(bad_pushes), len(push_statuses)))
        if server.poll() is not None:
            failures.append("the server exited with %s" % server.returncode)
        if counts.get("graphql", 0) == 0 or counts.get("logins", 0) == 0:
            failures.append("the attack did not run: %s" % counts)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        if failures:
            with open(os.path.join(data, "server.log")) as log:
                sys.stderr.write(log.read()[-3000:])
        shutil.rmtree(data, ignore_errors=True)
    for failure in failures[:20]:
        print("FAIL: " + failure)
    checks = 3
    print("under-attack: %d passed, %d failed" % (checks - min(checks, len(set(f.split(":")[0] for f in failures))),
                                                  min(checks, len(set(f.split(":")[0] for f in failures)))))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
