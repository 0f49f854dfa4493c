#!/usr/bin/env python3
"""The RPC server under concurrent keep-alive clients (issue 9 §8), with the
wallet behind it. The test: 50 clients, each on one keep-alive connection,
call getblockcount, getbalance (on /wallet/<name>) and getblock <hash> 2 back
to back for a few seconds each; every request gets the right answer, none is
refused with 503 at the default settings, and the node stays up.

With --bench it measures instead (figures for doc/benchmarks.md): each method
at 1, 8 and 50 clients for --seconds, then sendtoaddress latency with
--utxos coins in the wallet. The load comes from bench_rpc_load (C++, in the
bindir), since Python clients could not keep the server busy."""

import json
import os
import subprocess
import time

from test_framework import ComputecoinTestFramework, assert_equal

COIN = 100_000_000
MATURITY = 100


class RpcLoadTest(ComputecoinTestFramework):
    def add_options(self, parser):
        parser.add_argument("--bench", action="store_true", help="measure (see the file comment)")
        parser.add_argument("--seconds", type=float, default=5.0, help="per method and client count")
        parser.add_argument("--utxos", type=int, default=10_000, help="coins in the wallet for sendtoaddress")

    def load(self, node, method, params=(), clients=50, seconds=3.0, path="/", expect=None):
        user, password = node.credentials()
        args = [os.path.join(self.bindir, "bench_rpc_load"), f"--port={node.rpc_port}",
                f"--user={user}", f"--password={password}", f"--method={method}",
                f"--params={json.dumps(list(params))}", f"--path={path}",
                f"--clients={clients}", f"--seconds={seconds}"]
        if expect is not None:
            args.append(f"--expect={json.dumps(expect)}")
        cpu_before = node.cpu_seconds()
        run = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 120)
        cpu = node.cpu_seconds() - cpu_before
        if not run.stdout.strip():
            raise AssertionError(f"bench_rpc_load printed nothing: {run.stderr}")
        report = json.loads(run.stdout.strip().splitlines()[-1])
        # The node's CPU per answer: steadier than requests/s on a machine
        # where the clients and other jobs share the cores.
        report["node_cpu_ms"] = 1000 * cpu / max(report["requests"], 1)
        self.log(f"{method} x{clients}: {report['per_second']:.0f}/s, {report['requests']} requests, "
                 f"503: {report['unavailable_503']}, failed: {report['failed']}, "
                 f"wrong: {report['wrong']}, p50 {report['p50_ms']:.2f} ms, p99 {report['p99_ms']:.2f} ms, "
                 f"node CPU {report['node_cpu_ms']:.3f} ms/request")
        return report

    def run_test(self):
        node = self.add_node()
        node.start(["-workers=2"])
        node.rpc("createwallet", "w")
        blocks = MATURITY + 2 if self.options.bench else 3
        node.rpc("generate", blocks)
        height = node.rpc("getblockcount")
        balance = node.wallet_rpc("w", "getbalance")
        # A block with work records, whose verbose form is the largest reply.
        best = node.rpc("getblockhash", 2)
        block = node.rpc("getblock", best, 2)
        assert block.get("records"), sorted(block)

        if not self.options.bench:
            for method, params, path, expect in (
                    ("getblockcount", (), "/", height),
                    ("getbalance", (), "/wallet/w", balance),
                    ("getblock", (best, 2), "/", block)):
                report = self.load(node, method, params, 50, 3.0, path, expect)
                assert_equal((report["unavailable_503"], report["failed"], report["wrong"]), (0, 0, 0))
                assert report["ok"] >= 50, report  # every client got answers
            assert_equal(node.rpc("getblockcount"), height)  # still up and answering
            return

        self.log(f"getblock {best} 2 is {len(json.dumps(block)) / 1024:.1f} KiB of JSON")
        rows = []
        for method, params, path, expect in (
                ("getblockcount", (), "/", height),
                ("getbalance", (), "/wallet/w", balance),
                ("getblock", (best, 2), "/", block)):
            for clients in (1, 8, 50):
                r = self.load(node, method, params, clients, self.options.seconds, path, expect)
                rows.append((method, clients, r))
        print("| method | clients | requests/s | 503 | failed or wrong | p50 ms | p99 ms | node CPU ms/request |")
        print("|---|---|---|---|---|---|---|---|")
        for method, clients, r in rows:
            print(f"| `{method}` | {clients} | {r['per_second']:,.0f} | {r['unavailable_503']} | "
                  f"{r['failed'] + r['wrong']} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                  f"{r['node_cpu_ms']:.3f} |")

        self.log(f"making {self.options.utxos} coins in wallet w")
        address = node.wallet_rpc("w", "getnewaddress")
        made = 0
        while made < self.options.utxos:
            n = min(1000, self.options.utxos - made)
            node.wallet_rpc("w", "sendmany", "", {node.wallet_rpc("w", "getnewaddress"): 0.0001
                                                  for _ in range(n)})
            node.rpc("generate", 1)
            made += n
        unspent = len(node.wallet_rpc("w", "listunspent"))
        self.log(f"{unspent} coins in the wallet")
        samples = []
        for _ in range(20):
            t0 = time.monotonic()
            node.wallet_rpc("w", "sendtoaddress", address, 0.00015)
            samples.append(time.monotonic() - t0)
        samples.sort()
        print(f"sendtoaddress with {unspent} coins: median {samples[10] * 1000:.1f} ms, "
              f"max {samples[-1] * 1000:.1f} ms (20 sends, each selecting from the whole set)")


if __name__ == "__main__":
    RpcLoadTest().main()
