#!/usr/bin/env python3
"""A payment the wallet acknowledged survives a restart and a kill -9:

The mempool lives in memory only, so after a restart a wallet's unconfirmed
transactions were in nobody's mempool and never mined (found while reviewing
what a kill -9 does to the wallet). Now a wallet puts them back when it loads
(parents before children) and announces them to its peers once the network
runs (peers that connect later hear of them only when they are mined: as in
Bitcoin Core, the mempool is not announced to new peers):

- a payment and a payment spending its change, sent, then the node killed
  with SIGKILL: after restart both are in the mempool again, and mined.
"""

from test_framework import ComputecoinTestFramework, assert_equal, assert_in


class WalletResubmitTest(ComputecoinTestFramework):
    def run_test(self):
        node = self.add_node()
        node.start(["-workers=1"])
        node.rpc("createwallet", "miner")
        node.rpc("generate", 102)
        address = node.wallet_rpc("miner", "getnewaddress")
        first = node.wallet_rpc("miner", "sendtoaddress", address, 5)
        # Spends first's change: it can only enter a mempool after first.
        second = node.wallet_rpc("miner", "sendtoaddress", address, 1)
        assert_equal(sorted(node.rpc("getrawmempool")), sorted([first, second]))

        self.log("kill -9: the mempool is gone, the wallet still knows both payments")
        node.kill()
        node.start(["-workers=1", "-wallet=miner"])
        assert_equal(sorted(node.rpc("getrawmempool")), sorted([first, second]))
        assert_in("Wallet: resubmitted 2 unconfirmed transaction(s)", node.debug_log())

        self.log("and mined")
        node.rpc("generate", 1)
        for txid in (first, second):
            assert_equal(node.wallet_rpc("miner", "gettransaction", txid)["confirmations"], 1)


if __name__ == "__main__":
    WalletResubmitTest().main()
