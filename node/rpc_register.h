// The node's RPC methods, one registration function per file (each file
// ends with its table of methods, as Bitcoin Core's rpc/*.cpp do):
//   rpc_blockchain.cpp  getbestblockhash getblock getblockchaininfo
//                       getblockcount getblockhash getblockheader
//   rpc_proofs.cpp      getheaders gettxoutproof getworkproof (for light clients)
//   rpc_control.cpp     getnetworkinfo stop uptime (help is the table's own)
//   rpc_training.cpp    generate gettraininginfo getworkerinfo
//   rpc_wallet.cpp      wallet files, addresses, balances, sending, history,
//                       encryption, backup, bumpfee; fund/signrawtransactionwithwallet
//   rpc_inference.cpp   infer getinferenceinfo
//   rpc_rawtransaction.cpp  createrawtransaction decoderawtransaction getrawtransaction
//                       sendrawtransaction estimatesmartfee
//                       testmempoolaccept getmempoolentry getmempoolinfo getrawmempool
//
// Thread safety: call before the RPC server starts.

#ifndef COMPUTECOIN_NODE_RPC_REGISTER_H
#define COMPUTECOIN_NODE_RPC_REGISTER_H

#include "chain/status.h"
#include "node/context.h"
#include "rpc/table.h"

namespace cc {

/// Each returns the table's error if a name is taken twice.
/// REQUIRES: node outlives the table's use.
Status RegisterBlockchainRpcs(rpc::RpcTable& table, NodeContext& node);
Status RegisterProofRpcs(rpc::RpcTable& table, NodeContext& node);
Status RegisterControlRpcs(rpc::RpcTable& table, NodeContext& node);
Status RegisterTrainingRpcs(rpc::RpcTable& table, NodeContext& node);
Status RegisterNetRpcs(rpc::RpcTable& table, NodeContext& node);
Status RegisterWalletRpcs(rpc::RpcTable& table, NodeContext& node);
Status RegisterChannelRpcs(rpc::RpcTable& table, NodeContext& node);
Status RegisterRawTransactionRpcs(rpc::RpcTable& table, NodeContext& node);
Status RegisterInferenceRpcs(rpc::RpcTable& table, NodeContext& node);
Status RegisterApiRpcs(rpc::RpcTable& table, NodeContext& node);

/// All of the above.
Status RegisterNodeRpcs(rpc::RpcTable& table, NodeContext& node);

}  // namespace cc

#endif  // COMPUTECOIN_NODE_RPC_REGISTER_H
