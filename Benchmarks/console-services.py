#!/usr/bin/env python3
"""The console's Services screen at 100,000 services: seeds them over REST (500 operator/status
syncs of 200 services on 500 nodes) into a throw-away `itops serve`, then times the GraphQL reads
the screen makes (median of 7). Numbers in BENCHMARKS.md.

    python3 Benchmarks/console-services.py [path/to/itops]     # default .build/debug/itops
"""
import json, os, socket, subprocess, sys, tempfile, time, urllib.request, statistics, shutil

binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/itops")
data = tempfile.mkdtemp(prefix="itops-100k-")
with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
base = f"http://127.0.0.1:{port}"
env = {k: v for k, v in os.environ.items() if not k.startswith("ITOPS_")}
env.update({"ITOPS_DATA_DIR": data, "ITOPS_PORT": str(port), "ITOPS_OPERATOR_API_KEY": "measure-operator-key-0123",
            "ITOPS_ADMIN_EMAIL": "admin@example.com", "ITOPS_ADMIN_PASSWORD": "admin-password-1", "ITOPS_BCRYPT_COST": "4",
            "ITOPS_LOG_LEVEL": "error", "ITOPS_SQLITE_SYNCHRONOUS": "normal", "ITOPS_GRAPHQL_RATE_LIMIT": "0"})
p = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
def post(path, body, headers):
    r = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(r, timeout=120) as resp: return json.load(resp)
try:
    for _ in range(200):
        try: urllib.request.urlopen(base + "/ready", timeout=1); break
        except Exception: time.sleep(0.05)
    t0 = time.monotonic()
    for n in range(500):
        post("/api/v1/operator/status", {"nodeId": f"org/r{n % 10}/c{n}", "operatorVersion": "1",
             "services": [{"name": f"svc-{n}-{i}", "status": "OPERATIONAL" if i % 20 else "DOWN"} for i in range(200)]},
             {"X-API-Key": "measure-operator-key-0123"})
    print(f"seeded 100,000 services in {time.monotonic() - t0:.0f} s", flush=True)
    token = post("/graphql", {"query": 'mutation { login(email: "admin@example.com", password: "admin-password-1") { token } }'}, {})["data"]["login"]["token"]
    queries = {
        "services page 1 (50) + totalCount": ('query { services(first: 50) { totalCount edges { node { id name status } } } }', {}),
        "services page under a node (50)": ('query { services(first: 50, filter: {nodeId: "org/r3"}) { totalCount edges { node { id } } } }', {}),
        "services search 'svc-42-1' (50)": ('query { services(first: 50, filter: {search: "svc-42-1"}) { totalCount edges { node { id } } } }', {}),
        "services screen query (page + 5 status counts)": ('query { s: services(first: 50) { totalCount edges { node { id } } } ' + " ".join(f'{st}: services(first: 1, filter: {{status: "{st}"}}) {{ totalCount }}' for st in ["OPERATIONAL","DEGRADED","DOWN","UNKNOWN","MAINTENANCE"]) + ' }', {}),
        "serviceStatusCounts (tree counts)": ('query { serviceStatusCounts { nodeId status count } }', {}),
        "nodes(first: 500)": ('query { nodes(first: 500) { id } }', {}),
    }
    for name, (q, v) in queries.items():
        times = []
        for _ in range(7):
            t = time.monotonic(); r = post("/graphql", {"query": q, "variables": v}, {"Authorization": f"Bearer {token}"}); times.append((time.monotonic() - t) * 1000)
            assert not r.get("errors"), r
        print(f"| {name} | {statistics.median(times):.0f} ms | {min(times):.0f}–{max(times):.0f} ms |", flush=True)
finally:
    p.terminate(); p.wait(); shutil.rmtree(data, ignore_errors=True)
