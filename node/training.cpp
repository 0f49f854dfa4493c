#include "node/training.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "chain/file_io.h"
#include "chain/logging.h"
#include "node/shutdown.h"
#include "compute/torch/torch_engine.h"
#include "consensus/genesis.h"
#include "validation/reindex.h"

namespace cc {
namespace {

constexpr const char* kTraining = "Training options";
constexpr const char* kWorkerKeysFile = "workers.dat";

Status ParseVerify(const std::string& value, VerifyPolicy* policy) {
  if (value == "all") {
    policy->sample = 1.0;
  } else if (value.rfind("sample=", 0) == 0) {
    char* end = nullptr;
    const std::string number = value.substr(7);
    errno = 0;
    const double p = std::strtod(number.c_str(), &end);
    if (number.empty() || *end != '\0' || errno != 0 || !(p > 0.0 && p <= 1.0))
      return Status::InvalidArgument("Invalid -verify=" + value + ": P must be in (0, 1]");
    policy->sample = p;
  } else {
    return Status::InvalidArgument("Invalid -verify=" + value + ": expected all or sample=P");
  }
  // The salt must be unknown to workers (connect.h), so it is fresh per run.
  if (getrandom(policy->salt.data(), 32, 0) != 32)
    return Status::IOError("no randomness for the -verify salt");
  return Status::OK();
}

// -computedevice and -computethreads, checked here so that a node asked for
// a GPU it cannot use stops at start with the option named.
Status ParseComputeOptions(const Config& config, compute::EngineOptions* engine) {
  const std::string requested = config.GetArg("computedevice", "cpu");
  Status s = compute::ResolveTorchDevice(requested, &engine->device);
  if (!s.ok()) return Status::InvalidArgument("Invalid -computedevice: " + s.message());
  const int64_t threads = config.GetIntArg("computethreads", 0);
  if (threads < 0 || threads > 1024)
    return Status::InvalidArgument("-computethreads must be in [0, 1024]");
  engine->threads = static_cast<int>(threads);
  LogPrintf("Computing work units on " + engine->device +
            (threads > 0 ? " with " + std::to_string(threads) + " libtorch thread(s)" : ""));
  return Status::OK();
}

Status LoadWorkerKeys(const std::filesystem::path& path, size_t count,
                      std::vector<PrivateKey>* keys) {
  std::vector<uint8_t> bytes;
  if (std::filesystem::exists(path)) {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return Status::IOError("cannot read " + path.string());
    if (bytes.size() % 32 != 0) return Status::Corruption(path.string() + " is not whole keys");
  }
  for (size_t i = 0; i + 32 <= bytes.size() && keys->size() < count; i += 32) {
    std::optional<PrivateKey> key =
        PrivateKey::FromBytes(std::span<const uint8_t, 32>(bytes.data() + i, 32));
    if (!key) return Status::Corruption(path.string() + " holds an invalid key");
    keys->push_back(*key);
  }
  if (keys->size() == count) return Status::OK();
  while (keys->size() < count) {
    keys->push_back(PrivateKey::Generate());
    bytes.insert(bytes.end(), keys->back().bytes().begin(), keys->back().bytes().end());
  }
  // The keys own the rewards their records earn: on disk before any is used.
  return WriteFileAtomically(path, bytes, 0600);
}

// -checkblocks/-checklevel: Bitcoin Core's start-up check of the last blocks.
Status CheckBlocksAtStart(const Config& config, ChainManager& chainman) {
  const int64_t blocks = config.GetIntArg("checkblocks", kDefaultCheckBlocks);
  const int64_t level = config.GetIntArg("checklevel", kDefaultCheckLevel);
  if (blocks < 0 || blocks > UINT32_MAX)
    return Status::InvalidArgument("-checkblocks must be in [0, 4294967295]");
  if (level < 0 || level > 4) return Status::InvalidArgument("-checklevel must be in [0, 4]");
  LogPrintf("Verifying the last " + (blocks == 0 ? std::string("all") : std::to_string(blocks)) +
            " blocks at level " + std::to_string(level));
  const Status s = chainman.VerifyChain(static_cast<int>(level), static_cast<uint32_t>(blocks));
  if (s.IsInterrupted()) return s;
  if (!s.ok()) return Status::Corruption("Corrupted block database detected: " + s.message());
  LogPrintf("Verification: no problems found");
  return Status::OK();
}

}  // namespace

void AddTrainingArgs(Config* c) {
  c->AddArg("-worker", "Compute the work units assigned to this node's worker key (default: 0)",
            Config::kBool, Config::kNone, kTraining);
  c->AddArg("-workers=<n>",
            "Run <n> in-process workers with their own keys (regtest only; default: 0)",
            Config::kInt, Config::kNone, kTraining);
  c->AddArg("-perturbwork=<f>",
            "Lie: scale every output and loss this node's workers compute (but UPDATE's, which "
            "every node recomputes) by (1 + f) before committing them, to test what verifiers do with a cheating worker; or ascent:<a> / "
            "bias:<a>, a in (0, 1): move each output by a share a of the tolerance against the "
            "descent step, or along a fixed direction (regtest only; default: 0)",
            Config::kString, Config::kNone, kTraining);
  c->AddArg("-computedevice=<dev>",
            "Where this node computes and re-executes work units: cpu, cuda, cuda:<n> (the n-th "
            "GPU) or auto (the first GPU if libtorch has CUDA and sees one, else cpu) "
            "(default: cpu)",
            Config::kString, Config::kNone, kTraining);
  c->AddArg("-computethreads=<n>",
            "libtorch threads per unit computed (0 = libtorch's default, one per core; "
            "default: 0)",
            Config::kInt, Config::kNone, kTraining);
  c->AddArg("-verify=<policy>",
            "Which work records to re-execute: all, or sample=<P> for a fraction P in (0, 1] "
            "(default: all; see doc/consensus.md for what sampling trades away)",
            Config::kString, Config::kNone, kTraining);
  c->AddArg("-assumevalid",
            "While catching up, accept without re-execution the work records of steps older "
            "than half the tensor retention behind the best header chain, whose inputs no peer "
            "keeps (doc/consensus.md §6); -assumevalid=0 re-executes every record, and cannot "
            "join a chain longer than the peers' retention (default: 1)",
            Config::kBool, Config::kNone, kTraining);
}

namespace {

// -perturbwork, on regtest only: a factor f in (-1, 1) (EngineOptions::
// perturb_outputs), or ascent:<a> / bias:<a> with a in (0, 1)
// (EngineOptions::adversary).
Status ParsePerturbWork(const Config& config, const ChainParams& params,
                        compute::EngineOptions* out) {
  if (!config.IsSet("perturbwork")) return Status::OK();
  if (params.network != Network::kRegtest)
    return Status::InvalidArgument("-perturbwork is for regtest only");
  const std::string text = config.GetArg("perturbwork", "");
  using Adversary = compute::EngineOptions::Adversary;
  Adversary mode = Adversary::kNone;
  std::string number = text;
  for (const auto& [name, m] : {std::pair{"ascent:", Adversary::kAscent},
                                std::pair{"bias:", Adversary::kBias}}) {
    if (text.rfind(name, 0) == 0) {
      mode = m;
      number = text.substr(std::strlen(name));
    }
  }
  char* end = nullptr;
  const double f = std::strtod(number.c_str(), &end);
  const bool parsed = !number.empty() && *end == '\0';
  if (mode == Adversary::kNone) {
    if (!parsed || !(f > -1.0 && f < 1.0)) {
      return Status::InvalidArgument(
          "-perturbwork must be a number in (-1, 1), ascent:<a> or bias:<a> with a in (0, 1)");
    }
    out->perturb_outputs = f;
    return Status::OK();
  }
  if (!parsed || !(f > 0.0 && f < 1.0))
    return Status::InvalidArgument("-perturbwork=" + text + ": the share a must be in (0, 1)");
  out->adversary = mode;
  out->adversary_share = f;
  return Status::OK();
}

}  // namespace

Status StartTraining(const Config& config, NodeContext* node) {
  ChainManagerOptions options;
  options.engine_factory = compute::MakeTorchEngine;
  // SIGTERM, SIGINT or `stop` during a long replay, reindex or check.
  options.interrupted = [] { return ShutdownRequested(); };
  // Both engines lie when asked: the pool's (timed production) and the
  // chain's (generate); neither lies when it verifies.
  Status s = ParsePerturbWork(config, *node->params, &options.engine);
  if (!s.ok()) return s;
  s = ParseVerify(config.GetArg("verify", "all"), &options.policy);
  if (!s.ok()) return s;
  options.assume_valid = config.GetBoolArg("assumevalid", true);
  s = ParseComputeOptions(config, &options.engine);
  if (!s.ok()) return s;
  int64_t workers = config.GetIntArg("workers", 0);
  if (workers < 0 || workers > 64) return Status::InvalidArgument("-workers must be in [0, 64]");
  if (workers > 1 && node->params->network != Network::kRegtest)
    return Status::InvalidArgument("-workers=<n> with n > 1 is for regtest only; use -worker");
  if (workers == 0 && config.GetBoolArg("worker", false)) workers = 1;
  if (workers > 0) {
    s = LoadWorkerKeys(node->datadir / kWorkerKeysFile, static_cast<size_t>(workers),
                       &node->workers);
    if (!s.ok()) return s;
    LogPrintf("Running " + std::to_string(workers) + " in-process worker(s)");
  }
  node->verified_records = std::make_unique<VerifiedRecords>();
  options.verified = node->verified_records.get();
  s = ChainManager::Open(*node->params, node->chain.get(), node->datadir, options, &node->chainman);
  if (s.ok() && ReindexPending(node->datadir)) {
    s = node->chainman->ActivateStoredBlocks(nullptr);
    if (s.ok()) s = FinishReindex(node->datadir);
  }
  if (s.ok()) s = CheckBlocksAtStart(config, *node->chainman);
  if (!s.ok()) return WithReindexHint(s);
  WorkPoolOptions pool_options;
  pool_options.policy = options.policy;
  pool_options.engine = options.engine;
  pool_options.engine_factory = options.engine_factory;
  s = WorkPool::Create(*node->params, node->chainman.get(), node->verified_records.get(),
                       std::move(pool_options), &node->work_pool);
  if (!s.ok()) return s;
  node->chainman->AddListener(node->work_pool.get());
  MempoolOptions mempool_options;
  mempool_options.unbonding_delay = node->params->unbonding_delay;
  mempool_options.genesis_hash = GenesisHash(*node->params);
  mempool_options.check_evidence = [chainman = node->chainman.get()](const Transaction& tx,
                                                                     ValidationState* state) {
    return chainman->CheckSlash(tx, state);
  };
  node->mempool = std::make_unique<Mempool>(mempool_options);
  node->mempool_updater = std::make_unique<MempoolUpdater>(node->mempool.get(), node->chain.get());
  node->chainman->AddListener(node->mempool_updater.get());
  const ConsensusState tip = node->chainman->Tip();
  LogPrintf("Training: step " + std::to_string(tip.step) + ", state root " +
            tip.StateRoot().ToHex() + ", " + std::to_string(tip.workers.size()) +
            " registered workers");
  return Status::OK();
}

}  // namespace cc
