// Writes the seed corpus of the fuzz targets: tests/fuzz/corpus/<target>/,
// a handful of small files per target, each the encoding of a real object
// (the chain tests' sample values, whose every field is distinct) or an edge
// case of it. Deterministic, so running it again changes no file. Built with
// the tests, never run by CI; run it after changing a wire format:
//   build/bin/fuzz_make_corpus tests/fuzz/corpus

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "chain/block.h"
#include "chain/hash.h"
#include "chain/merkle.h"
#include "chain/serialize.h"
#include "chain/evidence.h"
#include "chain/fraud_proof.h"
#include "chain/transaction.h"
#include "chain/work.h"
#include "compute/tensor.h"
#include "tests/chain/primitives_samples.h"
#include "wallet/crypter.h"
#include "wallet/hd.h"
#include "wallet/wallet_tx.h"
#include "wallet/walletdb.h"
#ifdef CC_FUZZ_HAVE_NODE
#include "tests/util/model_export_sample.h"
#endif

namespace cc {
namespace {

namespace fs = std::filesystem;

class CorpusWriter {
 public:
  explicit CorpusWriter(fs::path root) : root_(std::move(root)) {}

  /// Writes `bytes` to <root>/<target>/<name>. Aborts on an I/O error.
  void Write(std::string_view target, std::string_view name, ByteSpan bytes) {
    const fs::path dir = root_ / target;
    fs::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", (dir / name).c_str());
      std::exit(1);
    }
    ++files_;
  }
  template <typename T>
  void WriteObject(std::string_view target, std::string_view name, const T& value) {
    Write(target, name, Serialize(value));
  }
  int files() const { return files_; }

 private:
  fs::path root_;
  int files_ = 0;
};

std::vector<Uint256> IndexLeaves(uint64_t n) {
  std::vector<Uint256> leaves;
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t le[8];
    std::memcpy(le, &i, sizeof(i));
    leaves.push_back(Sha256Hash(le));
  }
  return leaves;
}

void WriteTransactions(CorpusWriter& w) {
  w.WriteObject("transaction", "two_in_two_out", test::SampleTransaction());
  Transaction coinbase;
  coinbase.lock_height = 42;
  coinbase.outputs = {test::SampleTxOut(7)};
  w.WriteObject("transaction", "coinbase", coinbase);
  w.WriteObject("transaction", "empty", Transaction{});
  Transaction bond = test::SampleTransaction(9);
  bond.outputs = {test::SampleTxOut(3, OutputKind::kWorkerBond)};
  w.WriteObject("transaction", "worker_bond", bond);
  Transaction channel = test::SampleTransaction(11);
  channel.version = kChannelTxVersion;
  channel.outputs.push_back(TxOut{0, OutputKind::kCommitment, test::SampleHash(12)});
  channel.channel_spends = {test::SampleChannelSpend(13)};
  w.WriteObject("transaction", "channel_settlement", channel);
  channel.channel_spends[0].close = ChannelClose::kRefund;
  channel.channel_spends[0].holder_signature = {};
  w.WriteObject("transaction", "channel_refund", channel);
  Transaction slash = test::SampleTransaction(15);
  slash.version = kSlashTxVersion;
  for (TxIn& in : slash.inputs) in = TxIn{in.prevout, {}, {}};
  slash.evidence = Serialize(WrongWorkEvidence(test::SampleWorkRecord(16)));
  w.WriteObject("transaction", "slash", slash);
  Transaction unbond = test::SampleTransaction(17);
  unbond.outputs = {test::SampleTxOut(4, OutputKind::kUnbonding)};
  w.WriteObject("transaction", "unbonding", unbond);
}

void WriteEvidence(CorpusWriter& w) {
  BlockHeader second = test::SampleHeader();
  second.time += 1;
  w.WriteObject("evidence", "double_production",
                DoubleProductionEvidence(test::SampleHeader(), second));
  w.WriteObject("evidence", "wrong_work", WrongWorkEvidence(test::SampleWorkRecord(3)));
  WrongInference inference;
  inference.receipt.section_end = 2;
  inference.receipt.tokens = 3;
  inference.sections.resize(2);
  inference.sections[1].path.leaf_index = 1;
  inference.sections[1].path.tree_size = 3;
  inference.sections[1].path.path = {test::SampleHash(4), test::SampleHash(5)};
  inference.steps = {{0, 2, {'a', 'b'}}, {2, 1, {'c'}}};
  inference.output.assign(16, 7);
  w.WriteObject("evidence", "wrong_inference", WrongInferenceEvidence(inference));
}

void WriteFraudProofs(CorpusWriter& w) {
  Block block = test::SampleBlock();
  block.header.work_root = block.ComputeWorkRoot();
  FraudProof proof;
  if (MakeFraudProof(block, 1, &proof).ok()) w.WriteObject("fraud_proof", "second_of_three", proof);
  FraudProof one;
  block.records.resize(1);
  block.header.work_root = block.ComputeWorkRoot();
  if (MakeFraudProof(block, 0, &one).ok()) w.WriteObject("fraud_proof", "only_record", one);
}

void WriteBlocks(CorpusWriter& w) {
  w.WriteObject("block_header", "sample", test::SampleHeader());
  w.WriteObject("block_header", "genesis_like", BlockHeader{});

  Block block = test::SampleBlock();
  block.header.tx_root = block.ComputeTxRoot();
  block.header.work_root = block.ComputeWorkRoot();
  w.WriteObject("block", "two_txs_three_records", block);
  Block empty;
  empty.header.tx_root = empty.ComputeTxRoot();
  empty.header.work_root = empty.ComputeWorkRoot();
  w.WriteObject("block", "empty", empty);
  Block coinbase_only;
  coinbase_only.header = test::SampleHeader();
  coinbase_only.txs = {test::SampleTransaction(4)};
  coinbase_only.txs[0].inputs.clear();
  w.WriteObject("block", "coinbase_only", coinbase_only);
}

void WriteWorkRecords(CorpusWriter& w) {
  const UnitKind kinds[] = {UnitKind::kForward, UnitKind::kBackward, UnitKind::kAttention,
                            UnitKind::kUpdate};
  for (UnitKind kind : kinds) {
    WorkRecord record = test::SampleWorkRecord(static_cast<uint8_t>(kind));
    record.unit.kind = kind;
    w.WriteObject("work_record", "kind_" + std::to_string(static_cast<int>(kind)), record);
  }
  WorkRecord bare;
  w.WriteObject("work_record", "no_tensors", bare);
}

void WriteMerkleProofs(CorpusWriter& w) {
  // Honest proofs in the fuzz target's fixed trees (leaves: SHA256 of each
  // index), so mutations start from inputs that verify.
  for (uint64_t n : {1, 5, 7, 64, 100}) {
    const std::vector<Uint256> leaves = IndexLeaves(n);
    for (uint64_t i : {uint64_t{0}, n / 2, n - 1}) {
      MerkleProof proof;
      if (!MakeMerkleProof(leaves, i, &proof).ok()) std::exit(1);
      w.WriteObject("merkle_proof", "n" + std::to_string(n) + "_i" + std::to_string(i), proof);
    }
  }
  w.WriteObject("merkle_proof", "sample", test::SampleMerkleProof());
}

void WriteSerializePrimitives(CorpusWriter& w) {
  // Item streams for fuzz/serialize.cpp: a selector byte, then the value.
  // Selectors: 0 u8, 1 u16, 2 u32, 3 u64, 4 i64, 5 bool, 6 float,
  // 7 CompactSize, 8 length, 9 string, 10 bytes, 11 Uint256, 12 vector<Uint256>.
  std::vector<uint8_t> ints;
  Writer iw(&ints);
  iw(uint8_t{0}, uint8_t{0xab}, uint8_t{1}, uint16_t{0xfffe}, uint8_t{2}, uint32_t{0xdeadbeef},
     uint8_t{3}, uint64_t{0x0102030405060708}, uint8_t{4}, int64_t{-5}, uint8_t{5}, true,
     uint8_t{6}, 2.5f);
  w.Write("serialize", "integers", ints);

  std::vector<uint8_t> sizes;
  Writer sw(&sizes);
  for (uint64_t n : {uint64_t{0}, uint64_t{0xfc}, uint64_t{0xfd}, uint64_t{0xffff},
                     uint64_t{0x10000}, kMaxCompactSize}) {
    sw(uint8_t{7});
    sw.WriteCompactSize(n);
  }
  w.Write("serialize", "compact_sizes", sizes);

  std::vector<uint8_t> strings;
  Writer tw(&strings);
  tw(uint8_t{9}, std::string("computecoin"), uint8_t{10}, std::vector<uint8_t>(300, 0x5a),
     uint8_t{8});
  tw.WriteCompactSize(1);
  tw(uint8_t{0xee});
  w.Write("serialize", "strings", strings);

  std::vector<uint8_t> hashes;
  Writer hw(&hashes);
  hw(uint8_t{11}, test::SampleHash(1), uint8_t{12},
     std::vector<Uint256>{test::SampleHash(2), test::SampleHash(3)});
  w.Write("serialize", "hashes", hashes);
  w.WriteObject("serialize", "whole_string", std::string("a whole-input string"));
}

void WriteHex(CorpusWriter& w) {
  w.Write("hex", "lower", AsBytes("00ff10a5"));
  w.Write("hex", "upper", AsBytes("DEADBEEF"));
  w.Write("hex", "hash", AsBytes(test::SampleHash(1).ToHex()));
  w.Write("hex", "odd_length", AsBytes("abc"));
  w.Write("hex", "not_hex", AsBytes("0g"));
}

// `head` followed by `rest`: the selector bytes some targets read first.
std::vector<uint8_t> Prefixed(std::initializer_list<uint8_t> head, ByteSpan rest) {
  std::vector<uint8_t> bytes;
  bytes.reserve(head.size() + rest.size());
  bytes.assign(head.begin(), head.end());
  bytes.insert(bytes.end(), rest.begin(), rest.end());
  return bytes;
}

// JSON-RPC bodies: single calls of both versions, named and positional
// params, notifications, batches, errors of each kind, a reply over the
// limit, and nesting at and just past kMaxJsonDepth.
void WriteRpcDispatch(CorpusWriter& w) {
  const std::string hash = test::SampleHash(1).ToHex();
  const auto text = [&w](std::string_view name, const std::string& body) {
    w.Write("rpc_dispatch", name, AsBytes(body));
  };
  text("legacy_echo", R"({"method":"echo","params":[[1,"a",{"b":null}]],"id":1})");
  text("v2_typed", R"({"jsonrpc":"2.0","method":"typed","params":[")" + hash +
                       R"(",-5,true,"s",{},[]],"id":"x"})");
  text("named",
       R"({"jsonrpc":"2.0","method":"typed","params":{"hash":")" + hash + R"(","n":7},"id":2})");
  text("notification", R"({"jsonrpc":"2.0","method":"echo","params":[1]})");
  text("batch", R"([{"method":"echo","id":1},{"jsonrpc":"2.0","method":"rpcerror","id":2},)"
                R"({"jsonrpc":"2.0","method":"throws"},{"method":"nosuch","id":null},3])");
  text("big_batch",
       R"([{"method":"big","params":[3000],"id":1},{"method":"big","params":[3000],"id":2}])");
  text("bad_hash", R"({"method":"typed","params":["zz"],"id":1})");
  text("help", R"({"method":"help","params":["typed"],"id":1})");
  text("deep_64", std::string(63, '[') + "{}" + std::string(63, ']'));
  text("deep_65", std::string(65, '[') + std::string(65, ']'));
  text("not_json", "{\"method\":");
}

void WriteRpcAuth(CorpusWriter& w) {
  w.Write("rpc_auth", "plain", AsBytes("Basic YWxpY2U6c2VjcmV0"));   // alice:secret
  w.Write("rpc_auth", "salted", AsBytes("Basic Ym9iOmh1bnRlcjI="));  // bob:hunter2
  w.Write("rpc_auth", "wrong", AsBytes("Basic YWxpY2U6c2VjcmU="));   // alice:secre
  w.Write("rpc_auth", "rpcauth_line",
          AsBytes("carol:c0ffee$0000000000000000000000000000000000000000000000000000000000000000"));
  w.Write("rpc_auth", "bad_padding", AsBytes("Basic YQ=a"));
}

// Configuration: the first byte (bit 0: skip unknown file options), the
// file up to a NUL, then NUL-separated command-line arguments.
void WriteConfig(CorpusWriter& w) {
  const auto input = [&w](std::string_view name, std::string_view bytes) {
    w.Write("config", name, AsBytes(bytes));
  };
  using namespace std::string_view_literals;
  input("file_sections",
        "0rpcuser=a\nrpcport=1\nfuzzport=5\n[regtest]\nrpcport=2\nfuzzmulti=x\n"
        "regtest.fuzzmulti=y\n# comment\nnonamed=1\n"sv);
  input("command_line", "0regtest=1\n\0-rpcport=7\0-nofuzzmulti\0-named\0getinfo\0arg"sv);
  input("unknown_skipped", "1nosuch=1\nrpcwait=0\n\0-chain=devnet"sv);
  input("bad_lines", "0[main\nrpcport=abc\n-x=1\nnoflag\n"sv);
  input("negations", "0norpcwait=0\nnorpcport=1\n\0-norpcwait=1\0--rpcwallet=w"sv);
}

// Tensors: each codec's encoding (first byte even), and raw values to
// encode (first byte odd: codec, row length, binary32 values).
void WriteTensors(CorpusWriter& w) {
  const std::vector<float> values = {0.0f, 1.0f, -2.5f, 3.25e-3f, 1e30f, -7.0f, 0.5f, 1e-40f};
  const std::vector<uint64_t> shape = {2, 4};
  const compute::Codec codecs[] = {compute::Codec::kFloat32, compute::Codec::kBFloat16,
                                   compute::Codec::kInt8Rows};
  const char* names[] = {"float32", "bfloat16", "int8rows"};
  for (int i = 0; i < 3; ++i) {
    w.Write("tensor", names[i],
            Prefixed({0}, Serialize(compute::EncodeFloats(values, shape, codecs[i]))));
    const ByteSpan raw(reinterpret_cast<const uint8_t*>(values.data()), 4 * values.size());
    w.Write("tensor", std::string("encode_") + names[i],
            Prefixed({1, static_cast<uint8_t>(i), 4}, raw));
  }
  const uint8_t tokens[] = {'h', 'e', 'l', 'l', 'o', 0, 255};
  const uint64_t token_shape[] = {1, 7};
  const std::vector<uint8_t> encoding = Serialize(compute::EncodeBytes(tokens, token_shape));
  w.Write("tensor", "uint8", Prefixed({0}, encoding));

  // Store files: "CCT1", step (little-endian), encoding.
  const auto store_file = [&w](std::string_view name, uint64_t step, ByteSpan tensor) {
    std::vector<uint8_t> file;
    Writer out(&file);
    out.WriteBytes(AsBytes("CCT1"));
    out(step);
    out.WriteBytes(tensor);
    w.Write("tensor_store", name, file);
  };
  store_file("float32_step7", 7,
             Serialize(compute::EncodeFloats(values, shape, compute::Codec::kFloat32)));
  store_file("int8rows_step0", 0,
             Serialize(compute::EncodeFloats(values, shape, compute::Codec::kInt8Rows)));
  store_file("uint8_step1", 1, encoding);
  w.Write("tensor_store", "header_only", AsBytes("CCT1\x01\x02\x03\x04\x05\x06\x07\x08"));
  w.Write("tensor_store", "bad_magic", AsBytes("CCT0\x01\x02\x03\x04\x05\x06\x07\x08"));
}

// Wallet record values, after a selector byte (wallet_records.cpp).
void WriteWalletRecords(CorpusWriter& w) {
  const auto record = [&w](std::string_view name, uint8_t selector, ByteSpan value) {
    w.Write("wallet_records", name, Prefixed({selector}, value));
  };
  record("version", 0, Serialize(wallet::kWalletDbVersion));
  wallet::SeedRecord plain_seed;
  plain_seed.plain.assign(32, 0x11);
  record("seed_plain", 1, Serialize(plain_seed));
  wallet::SeedRecord encrypted_seed;
  encrypted_seed.encrypted = true;
  encrypted_seed.secret.nonce.fill(0x22);
  encrypted_seed.secret.ciphertext.assign(48, 0x33);
  record("seed_encrypted", 1, Serialize(encrypted_seed));
  wallet::MasterKeyRecord mkey;
  mkey.kdf.salt.fill(0x44);
  mkey.key.nonce.fill(0x55);
  mkey.key.ciphertext.assign(48, 0x66);
  record("master_key", 2, Serialize(mkey));
  const std::vector<uint8_t> seed(32, 0x77);
  wallet::ExtKey master;
  if (!wallet::ExtKey::FromSeed(seed, &master)) std::exit(1);
  wallet::AccountRecord account;
  account.master_fingerprint = master.Neuter().GetFingerprint();
  account.xpub = master.Neuter();
  record("account", 3, Serialize(account));
  record("hdindex", 4, Serialize(uint32_t{5}));
  record("label", 5, Serialize(std::string("savings")));
  wallet::WalletTx wtx;
  wtx.tx = test::SampleTransaction();
  wtx.SetState(wallet::TxState::kConfirmed);
  wtx.block_hash = test::SampleHash(3);
  wtx.block_height = 12;
  wtx.time_received = 1700000000;
  wtx.from_me = true;
  record("tx", 6, Serialize(wtx));
  wallet::BestBlockRecord best;
  best.hash = test::SampleHash(4);
  best.height = 12;
  record("bestblock", 7, Serialize(best));
  wallet::ChannelRecord channel;
  channel.channel.funding = test::SampleOutPoint(5);
  channel.channel.capacity = 10 * kCoin;
  channel.channel.terms = test::SampleChannelTerms();
  channel.channel.close_fee = 1000;
  channel.role = wallet::ChannelRole::kHolder;
  channel.best = {channel.channel.funding, 3 * kCoin, test::SampleHash(6),
                  test::SampleBytes<64>(7)};
  record("channel", 8, Serialize(channel));
}

#ifdef CC_FUZZ_HAVE_NODE
// The sample export's two files, each behind the selector byte that makes
// the target replace that file (model_export.cpp).
void WriteModelExports(CorpusWriter& w) {
  const fs::path dir = fs::temp_directory_path() / "cc-make-corpus-export";
  fs::remove_all(dir);
  fs::create_directories(dir);
  ModelExportInfo info;
  if (!fuzz::WriteSampleModelExport(dir / "sample", &info).ok()) {
    std::fprintf(stderr, "cannot write the sample export under %s\n", dir.c_str());
    std::exit(1);
  }
  for (const auto& [selector, path, name] :
       {std::tuple{uint8_t{0}, info.manifest, "manifest"},
        std::tuple{uint8_t{1}, info.safetensors, "safetensors"}}) {
    std::ifstream in(path, std::ios::binary);
    std::vector<uint8_t> bytes{selector};
    bytes.insert(bytes.end(), std::istreambuf_iterator<char>(in), {});
    w.Write("model_export", name, bytes);
  }
  fs::remove_all(dir);
}
#endif

}  // namespace
}  // namespace cc

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR (tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  cc::CorpusWriter w(argv[1]);
  cc::WriteTransactions(w);
  cc::WriteEvidence(w);
  cc::WriteFraudProofs(w);
  cc::WriteBlocks(w);
  cc::WriteWorkRecords(w);
  cc::WriteMerkleProofs(w);
  cc::WriteSerializePrimitives(w);
  cc::WriteHex(w);
  cc::WriteRpcDispatch(w);
  cc::WriteRpcAuth(w);
  cc::WriteConfig(w);
  cc::WriteTensors(w);
  cc::WriteWalletRecords(w);
#ifdef CC_FUZZ_HAVE_NODE
  cc::WriteModelExports(w);
#endif
  std::printf("wrote %d files under %s\n", w.files(), argv[1]);
  return 0;
}
