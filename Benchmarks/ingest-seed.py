#!/usr/bin/env python3
"""Seeds Benchmarks/ingest.sh's workloads: one pass over the items of a mode, then exits.

    ingest-seed.py URL KEY MODE COUNT

MODE is push (health/report of s<i> on bench/push/n<i mod 100>, OPERATIONAL), operator (operator/status
of bench/op/n<i> with 200 services) or pushgateway (one group per service). The bodies are those of
Benchmarks/ingest.lua. Eight keep-alive connections; exits 1 on the first answer that is not 2xx.
"""
import http.client
import sys
import threading
import urllib.parse

url, key, mode, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
parsed = urllib.parse.urlparse(url)
WORKERS = 8
failures = []


def request(i):
    if mode == "push":
        body = ('{"service":"s%d","nodeId":"bench/push/n%d","status":"OPERATIONAL","message":"pass 0"}'
                % (i, i % 100))
        return "/api/v1/health/report", body, "application/json"
    if mode == "operator":
        services = ",".join(
            '{"name":"svc-%d","status":"OPERATIONAL","replicas":3,"readyReplicas":3,"slaGroup":"g%d",'
            '"workloadType":"Deployment"}' % (s, s % 10) for s in range(200))
        body = '{"nodeId":"bench/op/n%d","operatorVersion":"1.0.0","services":[%s]}' % (i, services)
        return "/api/v1/operator/status", body, "application/json"
    if mode == "pushgateway":
        return "/metrics/job/itops/node/n%d/service/s%d" % (i % 100, i), "itops_service_status 0\n", "text/plain"
    raise SystemExit("unknown mode " + mode)


def worker(first):
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    for i in range(first, count, WORKERS):
        if failures:
            return
        path, body, content_type = request(i)
        connection.request("POST", path, body=body,
                           headers={"Content-Type": content_type, "X-API-Key": key})
        response = connection.getresponse()
        text = response.read()
        if not 200 <= response.status < 300:
            failures.append("%s %d: %s" % (path, response.status, text[:200]))


threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
if failures:
    sys.exit("seeding failed: " + failures[0])
