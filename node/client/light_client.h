// computecoin-light: follows a network's header chain and checks, from
// headers and Merkle paths alone, that a transaction or a work record is
// committed on it.
//
// Transport: with -connect=<host:port> (or -addnode=<host:port>: both name
// the peers it asks, -connect's first) the light client speaks P2P to a
// full node (node/client/light_peer.h: getheaders/headers, getproof/proof);
// without it, it asks one full node over JSON-RPC (getblockcount,
// getblockhash, getheaders, gettxoutproof, getworkproof) with the same
// options as computecoin-cli. What it verifies does not depend on the
// transport: each header's linkage, and over P2P also its producer's
// signature, time bound and the accepted work it commits, following only a
// branch that commits more than its own chain; what a header alone cannot
// show is in doc/protocol.md.
//
//   computecoin-light [options] syncheaders
//       Downloads headers from the last one the server and the local copy
//       share (following a reorganisation) to the server's tip, checking
//       each one's linkage before storing it in <network dir>/light/.
//       Over P2P it asks every peer in turn and keeps the chain
//       with the most accepted work; it succeeds if one peer answered, and
//       lists each peer's outcome ("peers": downloaded, error).
//   computecoin-light [options] verifytx <txid> <blockhash>
//   computecoin-light [options] verifywork <recordhash> <blockhash>
//       Asks for the proof and checks it against the locally stored header:
//       prints "valid" (exit 0) or "invalid: <reason>" (exit 1).
//   computecoin-light [options] verifyreceipt <receiptproof> <txid> <blockhash>
//       As verifytx for the settlement <txid>, then checks that it paid for
//       the receipt in <receiptproof> (hex of a chain/receipt.h
//       ReceiptProof): the holder's signature, the settlement's holder and
//       the receipt's path to its receipts root (VerifyReceiptCommitment's
//       reasons).
//   computecoin-light [options] verifyproducer <blockhash>
//       Asks for the registry proof of the block's producer after its parent
//       (P2P getproof of kind registry, or getregistryproof) and checks it
//       against the parent's registry_root: "valid" when the producer was a
//       registered worker when the block was made. Whether it held that
//       block's slot needs the whole registry, which a light client does
//       not keep.
//   computecoin-light [options] getbestheader
//       Prints the local tip as {"height", "hash"}.
// Other failures print "error: <message>" and exit 1.
//
// Thread safety: the verification functions are pure.

#ifndef COMPUTECOIN_NODE_CLIENT_LIGHT_CLIENT_H
#define COMPUTECOIN_NODE_CLIENT_LIGHT_CLIENT_H

#include <string>

#include "chain/block.h"
#include "chain/merkle.h"
#include "chain/transaction.h"
#include "chain/uint256.h"
#include "chain/work.h"
#include "consensus/consensus_state.h"
#include "rpc/protocol.h"

namespace cc {

/// Checks a gettxoutproof result: the transaction decodes, its txid is
/// `txid`, and the proof leads from its wtxid to header.tx_root.
/// Returns true, or false with *reason set.
[[nodiscard]] bool VerifyTxOutProof(const rpc::json& proof, const Uint256& txid,
                                    const BlockHeader& header, std::string* reason);

/// Checks a getworkproof result: the record decodes, its hash is
/// `record_hash`, and the proof leads from it to header.work_root.
/// Returns true, or false with *reason set.
[[nodiscard]] bool VerifyWorkProof(const rpc::json& proof, const Uint256& record_hash,
                                   const BlockHeader& header, std::string* reason);

/// The checks behind both: `tx` has txid `txid` and `path` leads from its
/// wtxid to header.tx_root; `record` has hash `record_hash` and `path` leads
/// from it to header.work_root. Returns true, or false with *reason set.
[[nodiscard]] bool VerifyTxInclusion(const Transaction& tx, const MerkleProof& path,
                                     const Uint256& txid, const BlockHeader& header,
                                     std::string* reason);
[[nodiscard]] bool VerifyRecordInclusion(const WorkRecord& record, const MerkleProof& path,
                                         const Uint256& record_hash, const BlockHeader& header,
                                         std::string* reason);

/// Checks that `header`'s producer was registered after its parent: `entry`
/// is the producer's registry entry and `path` leads from RegistryLeaf(entry)
/// to parent.registry_root. Returns true, or false with *reason set.
/// REQUIRES: header.prev == parent.Hash().
[[nodiscard]] bool VerifyProducerRegistered(const WorkerEntry& entry, const MerkleProof& path,
                                            const BlockHeader& header, const BlockHeader& parent,
                                            std::string* reason);

/// The same from a getregistryproof result ("entry" and "proof", hex).
[[nodiscard]] bool VerifyRegistryProof(const rpc::json& proof, const BlockHeader& header,
                                       const BlockHeader& parent, std::string* reason);

/// computecoin-light's main(). Returns the exit status.
int LightMain(int argc, const char* const argv[]);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_CLIENT_LIGHT_CLIENT_H
