#!/usr/bin/env python3
"""-daemon, -daemonwait and -pid (doc/node.md), as bitcoind has them.

- -daemonwait returns once the node serves RPC, with status 0; the node runs
  on in the background, its id in <datadir>/regtest/computecoind.pid, and
  `stop` ends it and removes the file;
- a start-up that fails in the background fails the waiting command with
  the node's reason and status 1 (a second node on a locked datadir, an
  unknown -model);
- -daemon returns at once, and the node comes up behind it; -pid names
  another file.
"""

import os
import signal
import subprocess
import time

from test_framework import ComputecoinTestFramework, assert_equal, assert_in, wait_until


class DaemonTest(ComputecoinTestFramework):
    def launch(self, node, *extra):
        return subprocess.run(
            [os.path.join(self.bindir, "computecoind")] + node.base_args() +
            [f"-port={node.p2p_port}", "-bind=127.0.0.1"] + list(extra),
            capture_output=True, text=True, timeout=120)

    def read_pid(self, path):
        with open(path) as f:
            return int(f.read())

    def stop_daemon(self, node, pid_path):
        assert_equal(node.rpc("stop"), "Computecoin server stopping")
        wait_until(lambda: not os.path.exists(pid_path), what="the pid file removed")
        pid = self.daemons.pop()
        wait_until(lambda: not os.path.exists(f"/proc/{pid}") or
                   open(f"/proc/{pid}/stat").read().split()[2] == "Z", what="the daemon gone")

    def run_test(self):
        self.daemons = []
        try:
            self.run_daemons()
        finally:
            # A failed assertion must not leave a daemon running: those whose
            # pid the test read, and any whose pid file is still there.
            pids = set(self.daemons)
            for node in self.nodes:
                for path in (os.path.join(node.network_dir, "computecoind.pid"),
                             os.path.join(node.datadir, "node.pid")):
                    if os.path.exists(path):
                        pids.add(self.read_pid(path))
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def run_daemons(self):
        node = self.add_node()
        pid_path = os.path.join(node.network_dir, "computecoind.pid")

        self.log("-daemonwait returns once RPC answers; the pid file names the daemon")
        started = time.monotonic()
        result = self.launch(node, "-daemonwait")
        assert result.returncode == 0, result.stderr
        assert_equal(result.stdout, "Computecoin server starting\n")
        self.daemons.append(self.read_pid(pid_path))
        assert_equal(node.rpc("getblockcount"), 0)  # no waiting: it is up
        self.log(f"  up in {time.monotonic() - started:.1f} s")

        self.log("a background start-up that fails fails the waiting command, with the reason")
        second = self.launch(node, "-daemonwait")
        assert_equal(second.returncode, 1)
        assert_in("Cannot obtain a lock on data directory", second.stderr)
        assert_equal(node.rpc("getblockcount"), 0)  # the first one is unharmed
        self.stop_daemon(node, pid_path)
        bad = self.launch(node, "-daemonwait", "-model=gpt9")
        assert_equal(bad.returncode, 1)
        assert_in("Unknown -model=gpt9", bad.stderr)
        assert not os.path.exists(pid_path)

        self.log("-daemon returns at once; -pid names another file")
        other_pid = os.path.join(node.datadir, "node.pid")
        result = self.launch(node, "-daemon", f"-pid={other_pid}")
        assert result.returncode == 0, result.stderr
        wait_until(lambda: os.path.exists(other_pid), what="the pid file")
        self.daemons.append(self.read_pid(other_pid))
        wait_until(lambda: self.rpc_up(node), what="RPC")
        self.stop_daemon(node, other_pid)

    def rpc_up(self, node):
        try:
            node.rpc("getblockcount")
            return True
        except Exception:
            return False


if __name__ == "__main__":
    DaemonTest().main()
