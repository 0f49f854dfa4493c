"""A small functional-test framework: real computecoind processes on loopback.

Modelled on Bitcoin Core's test/functional/test_framework, Python 3 standard
library only. A test subclasses ComputecoinTestFramework and defines
run_test(); main() then

  - creates a temporary directory (removed afterwards unless --nocleanup),
  - gives each node its own datadir in it, -regtest, and a free RPC port
    (chosen by binding port 0),
  - runs the test, and on any failure prints the traceback and the tail of
    every node's debug.log,
  - always stops or kills every node it started, and exits 0 or 1.

Usage: python3 <script>.py --bindir=<build>/bin [--nocleanup] [--tmpdir=DIR]
"""

import argparse
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

RPC_TIMEOUT = 30  # seconds to wait for a node's RPC to come up or to exit
# A call may run long on a loaded machine (generate of 100 blocks trains 100 steps).
CALL_TIMEOUT = 180


class RpcError(Exception):
    def __init__(self, error):
        super().__init__(f"{error.get('message')} ({error.get('code')})")
        self.error = error


class AssertionFailed(Exception):
    pass


def assert_equal(a, b, *rest):
    for other in (b,) + rest:
        if a != other:
            raise AssertionFailed(f"not equal: {a!r} != {other!r}")


def assert_in(needle, haystack):
    if needle not in haystack:
        raise AssertionFailed(f"{needle!r} not found in {haystack!r}")


def assert_raises_rpc_error(code, message, fn, *args, **kwargs):
    """fn(*args) must raise RpcError with `code` and `message` in its text."""
    try:
        fn(*args, **kwargs)
    except RpcError as e:
        if e.error.get("code") != code:
            raise AssertionFailed(f"expected error code {code}, got {e.error}")
        if message not in e.error.get("message", ""):
            raise AssertionFailed(f"expected {message!r} in {e.error}")
        return
    raise AssertionFailed("no RPC error raised")


def wait_until(predicate, timeout=RPC_TIMEOUT, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionFailed(f"timed out after {timeout} s waiting for {what}")


def free_port():
    """A port that was free a moment ago (the kernel's choice for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestNode:
    """One computecoind process with its own datadir and RPC port."""

    def __init__(self, index, bindir, root):
        self.index = index
        self.bindir = bindir
        self.datadir = os.path.join(root, f"node{index}")
        os.makedirs(self.datadir, exist_ok=True)
        self.rpc_port = free_port()
        self.p2p_port = free_port()
        self.process = None
        self.stdout = None
        self.stderr = None
        # (user, password) for RPC; None means the node's cookie.
        self.auth = None
        # The chain it runs: regtest for tests; benchmarks may pick devnet.
        self.chain = "regtest"

    @property
    def network_dir(self):
        return os.path.join(self.datadir, self.chain)

    @property
    def cookie_path(self):
        return os.path.join(self.network_dir, ".cookie")

    def base_args(self):
        chain = "-regtest" if self.chain == "regtest" else f"-chain={self.chain}"
        return [chain, f"-datadir={self.datadir}", f"-rpcport={self.rpc_port}"]

    # -- process --------------------------------------------------------

    def cpu_seconds(self):
        """CPU time the running process has used (utime + stime), in seconds."""
        with open(f"/proc/{self.process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def start(self, extra_args=(), wait_for_rpc=True):
        assert self.process is None, "node already running"
        self.stdout = open(os.path.join(self.datadir, "stdout.txt"), "w+")
        self.stderr = open(os.path.join(self.datadir, "stderr.txt"), "w+")
        self.process = subprocess.Popen(
            [os.path.join(self.bindir, "computecoind")] + self.base_args() +
            [f"-port={self.p2p_port}", "-bind=127.0.0.1"] + list(extra_args),
            stdout=self.stdout, stderr=self.stderr)
        if wait_for_rpc:
            self.wait_for_rpc()

    def wait_for_rpc(self, timeout=RPC_TIMEOUT):
        """Polls getblockcount until it answers (not -28), the process dies, or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionFailed(
                    f"node{self.index} exited with {self.process.returncode} during start-up: {self.read_stderr()}")
            try:
                self.rpc("getblockcount")
                return
            except (OSError, http.client.HTTPException):
                pass  # not listening, or no cookie yet
            except RpcError as e:
                if e.error.get("code") != -28:
                    raise
            time.sleep(0.05)
        raise AssertionFailed(f"node{self.index} RPC did not come up within {timeout} s")

    def wait_for_exit(self, timeout=RPC_TIMEOUT):
        try:
            return self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is not None:
                self.process = None

    def stop(self):
        """Stops through the `stop` RPC and asserts a clean exit."""
        assert_equal(self.rpc("stop"), "Computecoin server stopping")
        assert_equal(self.wait_for_exit(), 0)

    def signal(self, signum):
        self.process.send_signal(signum)

    def kill(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def read_stderr(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()

    def read_stdout(self):
        self.stdout.flush()
        self.stdout.seek(0)
        return self.stdout.read()

    def debug_log(self):
        path = os.path.join(self.network_dir, "debug.log")
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return f.read()

    # -- RPC over HTTP ----------------------------------------------------

    def credentials(self):
        if self.auth is not None:
            return self.auth
        with open(self.cookie_path) as f:
            user, password = f.read().strip().split(":", 1)
        return user, password

    def http_post(self, body, user=None, password=None, path="/", raw=False):
        """POSTs `body` (bytes or str) to `path`; returns (status, parsed JSON or None),
        or with raw=True (status, the reply's text)."""
        if user is None:
            user, password = self.credentials()
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        connection = http.client.HTTPConnection("127.0.0.1", self.rpc_port, timeout=CALL_TIMEOUT)
        try:
            connection.request("POST", path, body=body,
                               headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"})
            response = connection.getresponse()
            data = response.read()
            if raw:
                return response.status, data.decode()
            return response.status, (json.loads(data) if data else None)
        finally:
            connection.close()

    def rpc(self, method, *params, **named):
        """Calls `method` (JSON-RPC 2.0); returns the result or raises RpcError."""
        request = {"jsonrpc": "2.0", "id": 1, "method": method, "params": named if named else list(params)}
        status, reply = self.http_post(json.dumps(request))
        if reply is None:
            raise AssertionFailed(f"HTTP {status} with no body for {method}")
        if reply.get("error") is not None:
            raise RpcError(reply["error"])
        return reply["result"]

    def wallet_rpc(self, wallet, method, *params, **named):
        """Calls a wallet method on /wallet/<wallet>, as client libraries do."""
        request = {"jsonrpc": "2.0", "id": 1, "method": method, "params": named if named else list(params)}
        status, reply = self.http_post(json.dumps(request), path="/wallet/" + wallet)
        if reply is None:
            raise AssertionFailed(f"HTTP {status} with no body for {method}")
        if reply.get("error") is not None:
            raise RpcError(reply["error"])
        return reply["result"]

    # -- programs ---------------------------------------------------------

    def run_program(self, program, *args, stdin=None, extra=()):
        """Runs computecoin-cli / computecoin-light against this node."""
        return subprocess.run(
            [os.path.join(self.bindir, program)] + self.base_args() + list(extra) + list(args),
            input=stdin, capture_output=True, text=True, timeout=RPC_TIMEOUT * 2)

    def cli(self, *args, stdin=None, extra=()):
        return self.run_program("computecoin-cli", *args, stdin=stdin, extra=extra)

    def cli_ok(self, *args, **kwargs):
        """Runs the cli, asserts exit 0, returns stdout without the final newline."""
        result = self.cli(*args, **kwargs)
        if result.returncode != 0:
            raise AssertionFailed(f"computecoin-cli {' '.join(args)} exited {result.returncode}: {result.stderr}")
        return result.stdout.rstrip("\n")

    def light(self, *args):
        return self.run_program("computecoin-light", *args)


def connect_nodes(a, b):
    """Opens an outbound connection from node a to node b's P2P port and waits for the handshake."""
    a.rpc("addnode", f"127.0.0.1:{b.p2p_port}", "onetry")
    wait_until(lambda: any(p["addr"].endswith(f":{b.p2p_port}") and p["version"] > 0
                           for p in a.rpc("getpeerinfo")), 30, f"node{a.index} -> node{b.index}")


def sync_blocks(nodes, timeout=120):
    """Waits until every node has the same tip."""
    wait_until(lambda: len({n.rpc("getbestblockhash") for n in nodes}) == 1, timeout, "same tip")


def sync_state_roots(nodes, timeout=120):
    """Waits until every node reports the same tip with the same state root, each
    pair read in one call: under timed production a block may arrive between
    sync_blocks and a later read, so separate reads can straddle it."""
    def tips():
        return {(i["bestblockhash"], i["state_root"])
                for i in (n.rpc("getblockchaininfo") for n in nodes)}
    wait_until(lambda: len(tips()) == 1, timeout, "same tip and state root")


class ComputecoinTestFramework:
    """Subclass and define run_test(self); call main()."""

    def __init__(self):
        parser = argparse.ArgumentParser(description=self.__class__.__doc__)
        parser.add_argument("--bindir", default=os.environ.get("COMPUTECOIN_BINDIR",
                                                               os.path.join(os.path.dirname(__file__), "../../build/bin")),
                            help="directory with computecoind, computecoin-cli, computecoin-light")
        parser.add_argument("--nocleanup", action="store_true", help="keep the temporary directory")
        parser.add_argument("--tmpdir", help="root for the temporary directory")
        self.add_options(parser)
        self.options = parser.parse_args()
        self.bindir = os.path.abspath(self.options.bindir)
        self.nodes = []
        self.tmpdir = None

    def add_node(self):
        node = TestNode(len(self.nodes), self.bindir, self.tmpdir)
        self.nodes.append(node)
        return node

    def log(self, message):
        print(f"{time.strftime('%H:%M:%S')} {self.__class__.__name__}: {message}", flush=True)

    def add_options(self, parser):
        """Override to add a test's own command-line options to `parser` (argparse)."""

    def run_test(self):
        raise NotImplementedError

    def main(self):
        for program in ("computecoind", "computecoin-cli", "computecoin-light"):
            if not os.access(os.path.join(self.bindir, program), os.X_OK):
                print(f"{program} not found in {self.bindir}; pass --bindir", file=sys.stderr)
                sys.exit(1)
        self.tmpdir = tempfile.mkdtemp(prefix="cc_func_", dir=self.options.tmpdir)
        success = False
        try:
            self.run_test()
            success = True
        except Exception:
            traceback.print_exc()
            for node in self.nodes:
                print(f"---- node{node.index} debug.log (tail) ----", file=sys.stderr)
                print("\n".join(node.debug_log().splitlines()[-30:]), file=sys.stderr)
                if node.stderr is not None:
                    print(f"---- node{node.index} stderr ----\n{node.read_stderr()}", file=sys.stderr)
        finally:
            for node in self.nodes:
                node.kill()
                for f in (node.stdout, node.stderr):
                    if f is not None:
                        f.close()
            if self.options.nocleanup:
                print(f"kept {self.tmpdir}")
            else:
                shutil.rmtree(self.tmpdir, ignore_errors=True)
        self.log("passed" if success else "FAILED")
        sys.exit(0 if success else 1)
