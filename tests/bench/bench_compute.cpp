// Benchmarks of compute/, and a training run of a preset through the Engine.
//
//   bench_compute [--device=cpu|cuda[:N]|auto] [--benchmark_filter=...]
//       the benchmarks below, their engines and monolithic steps on that
//       device (default cpu; compute/torch/torch_engine.h ResolveTorchDevice)
//   bench_compute --spread [--spread-steps=20] [--device=cuda]
//       for every unit of a step of tiny and of devnet (step 0, and the step
//       after --spread-steps steps of training): the relative L2 distance
//       between libtorch executions at 1, 2 and 4 intra-op threads (the
//       honest spread), between libtorch and the reference backend (the
//       arbiter, compute/reference_backend.h), per unit kind, max and
//       median, and the reference's time against libtorch's on 1 thread.
//       doc/security.md derives ε and the arbiter band δ from these.
//   bench_compute --train=devnet [--threads=2] [--unit-threads=N] [--max-steps=8000]
//                 [--eval-every=250] [--target=0.9] [--reference]
//                 [--stream-codec=fp32|bf16|int8]
//                 [--lr=X --lr-min=X --warmup=N --decay-steps=N]
//       trains the preset on 3-digit addition, as work units through the
//       Engine (or, with --reference, monolithically), printing the loss
//       curve and held-out exact-match accuracy until it reaches the target,
//       then the elapsed time and generate("123+456="). The schedule flags
//       override the preset's, for trying schedules. On a machine shared
//       with other jobs, run with OMP_WAIT_POLICY=passive: libgomp's default
//       spin-waiting made 2 threads ten times slower than 1 here.
//   bench_compute --adversary=ascent|bias [--adversary-share=0.9] [--steps=300]
//                 [--preset=tiny]
//       trains the preset honestly and, side by side on the same data from
//       the same initial state, with every unit computed by a steering
//       worker lying within ε (EngineOptions::adversary); every lying claim
//       is judged by Engine::Verify of an honest engine. Prints, every 50
//       steps, both losses, their gap, the relative L2 weight gap, and the
//       claims accepted and refused. doc/security.md, "What ε lets a worker do".
//
// Benchmarks (figures and commands in doc/benchmarks.md):
//   BM_SplitStep/<preset>/<saved>/<threads>  one training step as units vs
//       one monolithic libtorch step, alternated in the same run; counters
//       give both times and their ratio, in wall time and in process CPU
//       time. saved=1: a worker holding FORWARD and BACKWARD of a stage keeps
//       the forward graph; saved=0: BACKWARD recomputes it (what a lone
//       BACKWARD worker does). threads: the monolithic step's intra-op
//       threads, and the units run that many side by side
//       (LocalStep::Options::threads), one intra-op thread each; −N: units
//       one at a time on N intra-op threads. Presets: 0 tiny, 1 devnet,
//       2 gpt2-small at context 128 (seconds a step).
//   BM_VerifyOverExecute/<kind>    Verify(unit) vs what its worker did
//       (Execute + hashing the outputs) on devnet; stored_ratio for tensors
//       already hash-checked by a TensorStore; beside_ratio for a verifier
//       hashing on a second thread (EngineOptions::verify_hash_beside_bytes);
//       for UPDATE, recompute_ratio for Engine::Recompute, how nodes check
//       it (its outputs judged by hash, never fetched).
//   BM_ServeDecode/<preset>/<hops>  greedy decoding of min(T−1, 64) tokens from a
//       1-byte prompt through section servers in this process (compute/
//       serve.h: KV cache, one new position a step), the model cut into
//       <hops> hops, against GenerateGreedy (the whole window each token, no
//       cache) in the same run; counters give tokens/s of both, their ratio,
//       and the time to the first token. The local reference for the P2P
//       figures of tests/functional/bench_inference.py.
//   BM_ServeMemory/<preset>        resident memory a served session adds at
//       a full context (8 sessions through one server of every section, each
//       filled to T positions: T − 1 at once, then one more, as a decoding
//       session ends), against the KV cache's arithmetic 2·L·T·C·4 bytes.
//   BM_TensorHash, BM_Sha256       committed-tensor hashing vs raw SHA-256.
//   BM_Matmul1024/<threads>        fp32 1024² matmul GFLOP/s.

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "chain/hash.h"
#include "compute/dataset.h"
#include "compute/engine.h"
#include "compute/torch/torch_engine.h"
#include "compute/evaluate.h"
#include "compute/local_step.h"
#include "compute/torch/model.h"
#include "compute/params.h"
#include "compute/partition.h"
#include "compute/reference_backend.h"
#include "compute/serve.h"

namespace cc::compute {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

const char* kPresets[] = {"tiny", "devnet", "gpt2-small"};

ModelConfig Preset(const std::string& name) {
  ModelConfig config;
  Check(PresetConfig(name, &config), "preset");
  return config;
}

// The device the benchmarks compute on (--device=, resolved), "cpu" by default.
std::string g_device = "cpu";

std::unique_ptr<Engine> NewEngine(const ModelConfig& config, bool keep_forward_state) {
  EngineOptions options;
  options.device = g_device;
  options.keep_forward_state = keep_forward_state;
  std::unique_ptr<Engine> engine;
  Check(MakeTorchEngine(config, options, &engine), "engine");
  return engine;
}

Dataset Addition(uint32_t digits) {
  Dataset data;
  Check(Dataset::Addition(digits, &data), "dataset");
  return data;
}

// One monolithic step on the lanes' batches of `step`.
float ReferenceStep(ReferenceTrainer* trainer, const Dataset& data, const ModelConfig& config,
                    uint64_t step) {
  std::vector<EncodedTensor> tokens, targets, masks;
  for (uint32_t lane = 0; lane < config.lanes; ++lane) {
    EncodedBatch batch;
    Check(LaneBatch(data, config, step, lane, &batch), "batch");
    tokens.push_back(batch.inputs);
    targets.push_back(batch.targets);
    masks.push_back(batch.mask);
  }
  float loss = 0;
  Check(trainer->Step(step, tokens, targets, masks, &loss), "reference step");
  return loss;
}

// Process CPU time in seconds: every thread's, so background hashing and
// units side by side count in full. Under load it varies far less than wall
// time.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
// The calling thread's CPU time in seconds.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// One step as units; *hash_s (if given) gets the time a worker spends
// hashing the step's outputs to commit them, measured by hashing them again.
float UnitsStep(Engine* engine, const Dataset& data, uint64_t step, LocalStep::Options options,
                double* hash_s = nullptr) {
  LocalStep local(engine, &data, step, options);
  Check(local.RunAll(), "units");
  if (hash_s != nullptr) {
    const Clock::time_point t0 = Clock::now();
    for (const PlannedUnit& unit : local.plan().units) {
      for (const EncodedTensor& t : local.Result(unit.id)->outputs)
        benchmark::DoNotOptimize(t.Hash());
    }
    *hash_s += Seconds(t0);
  }
  Check(local.Commit(), "commit");
  return local.Loss();
}

// ---------------------------------------------------------------------------

void BM_SplitStep(benchmark::State& state) {
  ModelConfig config = Preset(kPresets[state.range(0)]);
  // GPT-2-small's width and depth (85 M parameters, AdamW: ~1 GB of state
  // committed a step) at a context a 24 GiB, 2-core machine steps through in
  // seconds: 4 lanes × 8 sequences of 128 tokens.
  if (config.name == "gpt2-small") config.context = 128;
  const Dataset data = Addition(config.name == "tiny" ? 2 : 3);
  std::unique_ptr<Engine> engine = NewEngine(config, state.range(1) != 0);
  // threads < 0: |threads| intra-op threads, units one at a time on them.
  const bool side_by_side = state.range(2) > 0;
  const int threads = static_cast<int>(side_by_side ? state.range(2) : -state.range(2));
  const int saved_threads = at::get_num_threads();
  at::set_num_threads(threads);  // the monolithic step's intra-op threads
  LocalStep::Options options;
  options.threads = side_by_side ? threads : 1;  // side by side: one intra-op thread each
  ReferenceTrainer reference(config, InitialParams(config), g_device);
  double units_s = 0, monolithic_s = 0, hash_s = 0, units_cpu = 0, monolithic_cpu = 0;
  // One untimed step of each first: a first step pays for allocating every
  // buffer (seconds at gpt2-small's width), and a row of one or two timed
  // steps would measure mostly that.
  ReferenceStep(&reference, data, config, 0);
  UnitsStep(engine.get(), data, 0, options);
  uint64_t step = 1;
  for (auto _ : state) {
    double cpu0 = CpuSeconds();
    Clock::time_point t0 = Clock::now();
    benchmark::DoNotOptimize(ReferenceStep(&reference, data, config, step));
    monolithic_s += Seconds(t0);
    monolithic_cpu += CpuSeconds() - cpu0;
    double hash = 0;
    cpu0 = CpuSeconds();
    t0 = Clock::now();
    benchmark::DoNotOptimize(UnitsStep(engine.get(), data, step, options, &hash));
    const double units = Seconds(t0) - hash;  // the re-hash is not part of the step
    units_cpu += CpuSeconds() - cpu0 - hash;
    units_s += units;
    hash_s += hash;
    state.SetIterationTime(units);
    ++step;
  }
  at::set_num_threads(saved_threads);
  const double steps = static_cast<double>(step - 1);
  state.counters["units_ms"] = 1e3 * units_s / steps;
  state.counters["monolithic_ms"] = 1e3 * monolithic_s / steps;
  state.counters["ratio"] = units_s / monolithic_s;
  // CPU seconds of every thread, units over monolithic: the work each does,
  // hashing included, steadier than wall time on a shared machine.
  state.counters["cpu_ratio"] = units_cpu / monolithic_cpu;
  // What hashing every output for its commitment costs on one core (the
  // units hash on a background thread, overlapping their compute).
  state.counters["hash_ms"] = 1e3 * hash_s / steps;
  state.SetLabel(config.name + " T=" + std::to_string(config.context) +
                 (state.range(1) ? " saved-forward" : " recompute") + ", " +
                 std::to_string(threads) + " thread" + (threads > 1 ? "s" : "") +
                 (side_by_side || threads == 1 ? "" : " intra-op") + ", " + g_device);
}
BENCHMARK(BM_SplitStep)
    ->Args({0, 1, 1})
    ->Args({1, 1, 1})
    ->Args({1, 0, 1})
    ->Args({0, 1, 2})
    ->Args({1, 1, 2})
    ->Args({2, 1, 1})
    ->Args({2, 1, 2})
    ->Args({2, 1, -2})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(3.0);

const UnitKind kKinds[] = {UnitKind::kForward, UnitKind::kAttention, UnitKind::kBackward,
                           UnitKind::kUpdate};

void BM_VerifyOverExecute(benchmark::State& state) {
  const ModelConfig config = Preset("devnet");
  const Dataset data = Addition(3);
  std::unique_ptr<Engine> worker = NewEngine(config, false), verifier = NewEngine(config, false);
  // A verifier hashing large claims on a second thread while it re-executes.
  EngineOptions beside_options;
  beside_options.keep_forward_state = false;
  beside_options.verify_hash_beside_bytes = 256 << 10;
  std::unique_ptr<Engine> beside;
  Check(MakeTorchEngine(config, beside_options, &beside), "engine");
  LocalStep step(worker.get(), &data, 0);
  Check(step.RunAll(), "units");
  // The heaviest unit of the kind: the one with the most input bytes.
  WorkClaim claim;
  size_t most = 0;
  for (const PlannedUnit& unit : step.plan().units) {
    if (unit.id.kind != kKinds[state.range(0)]) continue;
    WorkClaim c;
    Check(step.Claim(unit.id, &c), "claim");
    size_t bytes = 0;
    for (const EncodedTensor& t : c.inputs) bytes += t.payload.size();
    if (bytes <= most) continue;
    most = bytes;
    claim = std::move(c);
  }
  // A worker executes the unit and hashes its outputs for the record; a
  // verifier checks the claim, hashing the tensors itself or (stored) taking
  // them from a TensorStore that checked their hashes on reading.
  WorkClaim stored = claim;
  stored.hashes_checked = true;
  double execute_s = 0, verify_s = 0, stored_s = 0, beside_s = 0;
  double execute_cpu = 0, verify_cpu = 0, stored_cpu = 0;  // this thread's CPU time
  double recompute_s = 0, recompute_cpu = 0;                // UPDATE only
  uint64_t n = 0;
  for (auto _ : state) {
    Clock::time_point t0 = Clock::now();
    double cpu0 = ThreadCpuSeconds();
    UnitResult result;
    Check(worker->Execute(claim.unit, claim.inputs, {}, &result), "execute");
    for (const EncodedTensor& t : result.outputs) benchmark::DoNotOptimize(t.Hash());
    execute_s += Seconds(t0);
    execute_cpu += ThreadCpuSeconds() - cpu0;
    for (const WorkClaim* c : {&claim, &stored}) {
      t0 = Clock::now();
      cpu0 = ThreadCpuSeconds();
      ValidationState verdict;
      Check(verifier->Verify(*c, claim.input_hashes, &verdict), "verify");
      if (!verdict.IsValid()) state.SkipWithError(verdict.debug().c_str());
      const double verify = Seconds(t0);
      (c == &claim ? verify_s : stored_s) += verify;
      (c == &claim ? verify_cpu : stored_cpu) += ThreadCpuSeconds() - cpu0;
      if (c == &claim) state.SetIterationTime(verify);
    }
    t0 = Clock::now();
    ValidationState verdict;
    Check(beside->Verify(claim, claim.input_hashes, &verdict), "verify");
    if (!verdict.IsValid()) state.SkipWithError(verdict.debug().c_str());
    beside_s += Seconds(t0);
    if (claim.unit.kind == UnitKind::kUpdate) {
      // How nodes check an UPDATE: recomputed from stored inputs, its
      // outputs judged by their hashes, never fetched (Engine::Recompute).
      WorkClaim recompute = stored;
      recompute.outputs.clear();
      t0 = Clock::now();
      const double cpu1 = ThreadCpuSeconds();
      UnitResult outputs;
      Check(verifier->Recompute(recompute, claim.input_hashes, &verdict, &outputs), "recompute");
      if (!verdict.IsValid()) state.SkipWithError(verdict.debug().c_str());
      recompute_s += Seconds(t0);
      recompute_cpu += ThreadCpuSeconds() - cpu1;
    }
    ++n;
  }
  if (claim.unit.kind == UnitKind::kUpdate) {
    state.counters["recompute_ratio"] = recompute_s / execute_s;
    state.counters["recompute_cpu_ratio"] = recompute_cpu / execute_cpu;
  }
  state.counters["execute_us"] = 1e6 * execute_s / n;
  state.counters["beside_ratio"] = beside_s / execute_s;
  // The same in CPU time of this thread (everything but beside runs on it):
  // steadier than wall time on a shared machine.
  state.counters["cpu_ratio"] = verify_cpu / execute_cpu;
  state.counters["stored_cpu_ratio"] = stored_cpu / execute_cpu;
  state.counters["verify_us"] = 1e6 * verify_s / n;
  state.counters["ratio"] = verify_s / execute_s;
  state.counters["stored_ratio"] = stored_s / execute_s;
  state.SetLabel(UnitName(claim.unit));
}
BENCHMARK(BM_VerifyOverExecute)
    ->DenseRange(0, 3)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(2.0);

constexpr size_t kHashBytes = 4 << 20;

void BM_ServeDecode(benchmark::State& state) {
  const ModelConfig config = Preset(kPresets[state.range(0)]);
  const auto hops = static_cast<uint32_t>(state.range(1));
  Partition partition;
  Check(PartitionModel(config, config.sections, &partition), "partition");
  const ParamValues params = InitialParams(config);
  // Hops of about k/hops sections each, cut at atom boundaries.
  std::vector<std::unique_ptr<SectionServer>> servers;
  uint32_t begin = 0;
  for (uint32_t h = 1; h <= hops; ++h) {
    uint32_t end = h == hops ? config.sections : std::max(begin + 1, config.sections * h / hops);
    while (!CheckServeRange(partition, begin, end).ok()) ++end;
    servers.push_back(MakeTorchSectionServer(config, partition, params, "cpu", begin, end, {}));
    begin = end;
  }
  std::vector<SectionServer*> route;
  for (auto& server : servers) route.push_back(server.get());
  DecodeOptions options;
  // gpt2-small's 1,023 positions would take GenerateGreedy (no cache) most
  // of an hour here: 64 tokens show the same ratio's trend.
  options.max_tokens = std::min<uint32_t>(config.context - 1, 64);
  const std::string prompt = "1";
  double cached = 0, monolithic = 0, first = 0;
  uint8_t session = 0;
  for (auto _ : state) {
    Uint256 id;
    id.data()[0] = ++session;
    LocalRoute source(route, id);
    DecodeResult result;
    double to_first = -1;
    const Clock::time_point t0 = Clock::now();
    Check(Decode(config.context, prompt, options, &source,
                 [&](uint8_t) {
                   if (to_first < 0) to_first = Seconds(t0);
                   return true;
                 },
                 &result),
          "decode");
    cached += Seconds(t0);
    first += to_first;
    std::vector<std::string> out;
    const std::string prompts[] = {prompt};
    const Clock::time_point t1 = Clock::now();
    Check(GenerateGreedy(config, params, "cpu", prompts, options.max_tokens, &out), "generate");
    monolithic += Seconds(t1);
  }
  const double tokens = static_cast<double>(options.max_tokens) * state.iterations();
  state.counters["cached_tok/s"] = tokens / cached;
  state.counters["monolithic_tok/s"] = tokens / monolithic;
  state.counters["cached/monolithic"] = monolithic / cached;
  state.counters["first_token_ms"] = 1e3 * first / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ServeDecode)
    ->ArgsProduct({{0, 1, 2}, {1, 3}})
    ->ArgNames({"preset", "hops"})
    ->Unit(benchmark::kMillisecond);

// This process's resident memory, bytes, once freed heap is returned to the system.
double ResidentBytes() {
  malloc_trim(0);
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

void BM_ServeMemory(benchmark::State& state) {
  const ModelConfig config = Preset(kPresets[state.range(0)]);
  constexpr uint32_t kSessions = 8;
  Partition partition;
  Check(PartitionModel(config, config.sections, &partition), "partition");
  const ParamValues params = InitialParams(config);
  const uint32_t T = config.context;
  const std::vector<uint8_t> prompt_bytes(T - 1, '1');
  const EncodedTensor prompt = EncodeBytes(prompt_bytes, std::vector<uint64_t>{T - 1});
  const uint8_t last_byte = '1';
  const EncodedTensor last = EncodeBytes({&last_byte, 1}, std::vector<uint64_t>{1});
  double per_session = 0;
  for (auto _ : state) {
    ServeLimits limits;
    limits.max_sessions = kSessions + 1;
    std::unique_ptr<SectionServer> server =
        MakeTorchSectionServer(config, partition, params, "cpu", 0, config.sections, limits);
    EncodedTensor out;
    auto fill = [&](uint8_t n) {
      Uint256 id;
      id.data()[0] = n;
      Check(server->Step(id, 0, prompt, &out), "serve");
      Check(server->Step(id, T - 1, last, &out), "serve");
    };
    fill(0);  // libtorch's one-time allocations (thread pool, workspaces) are not a session's
    const double before = ResidentBytes();
    for (uint8_t n = 1; n <= kSessions; ++n) fill(n);
    per_session += (ResidentBytes() - before) / kSessions;
  }
  const double mib = 1024.0 * 1024.0;
  const double arithmetic = 2.0 * config.n_layer * T * config.d_model * 4;
  state.counters["MiB/session"] = per_session / static_cast<double>(state.iterations()) / mib;
  state.counters["kv_arith_MiB"] = arithmetic / mib;
  state.counters["measured/arith"] =
      per_session / static_cast<double>(state.iterations()) / arithmetic;
}
BENCHMARK(BM_ServeMemory)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->ArgName("preset")
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

void BM_TensorHash(benchmark::State& state) {
  const std::vector<float> values(kHashBytes / 4, 0.5f);
  const EncodedTensor t =
      EncodeFloats(values, std::vector<uint64_t>{values.size()}, Codec::kFloat32);
  for (auto _ : state) benchmark::DoNotOptimize(t.Hash());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kHashBytes));
}
BENCHMARK(BM_TensorHash);

void BM_Sha256(benchmark::State& state) {
  const std::vector<uint8_t> bytes(kHashBytes, 0x5a);
  for (auto _ : state) benchmark::DoNotOptimize(Sha256Hash(bytes));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kHashBytes));
}
BENCHMARK(BM_Sha256);

void BM_Matmul1024(benchmark::State& state) {
  const int saved = at::get_num_threads();
  at::set_num_threads(static_cast<int>(state.range(0)));
  const at::Tensor a = at::randn({1024, 1024}), b = at::randn({1024, 1024});
  for (auto _ : state) benchmark::DoNotOptimize(at::matmul(a, b));
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * 1024 * 1024 * 1024 * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  at::set_num_threads(saved);
}
BENCHMARK(BM_Matmul1024)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// Which BLAS libtorch was built against, and which one this process loaded
// (Debian switches libblas.so.3 through alternatives, so the second is what
// counts).
void PrintBlas() {
  benchmark::DoNotOptimize(at::matmul(at::ones({64, 64}), at::ones({64, 64})));
  const std::string config = TorchBuildConfig();
  for (const char* key : {"BLAS_INFO=", "LAPACK_INFO="}) {
    const size_t at = config.find(key);
    if (at != std::string::npos) {
      std::printf("torch build: %s\n", config.substr(at, config.find(',', at) - at).c_str());
    }
  }
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> seen;
  for (std::string line; std::getline(maps, line);) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if ((path.find("blas") != std::string::npos || path.find("gomp") != std::string::npos) &&
        seen.insert(path).second) {
      std::printf("loaded: %s\n", path.c_str());
    }
  }
  std::printf("torch threads: %d\n", at::get_num_threads());
}

// ---------------------------------------------------------------------------
// --train mode.

struct TrainFlags {
  std::string preset = "devnet";
  int threads = 2;
  int unit_threads = 0;  // 0: as many as threads
  uint64_t max_steps = 8000;
  uint64_t eval_every = 250;
  double target = 0.9;
  bool reference = false;
  float lr = 0, lr_min = -1;
  int64_t warmup = -1, decay_steps = -1;
  Codec stream_codec = Codec::kFloat32;  // --stream-codec=fp32|bf16|int8 (ModelConfig)
};

// The reference trainer's weights, moved into `engine` for evaluation.
void ImportReference(const ReferenceTrainer& trainer, Engine* engine) {
  const ParamValues params = trainer.Params();
  const Partition& partition = engine->partition();
  for (uint32_t s = 0; s < partition.sections.size(); ++s) {
    EncodedTensor weights, state;
    Check(engine->ExportSection(s, &weights, &state), "export");
    const std::vector<float> flat = GatherSection(engine->config(), partition.sections[s], params);
    weights = EncodeFloats(flat, weights.shape, Codec::kFloat32);
    Check(engine->ImportSection(s, weights, state), "import");
  }
}

int Train(const TrainFlags& flags) {
  at::set_num_threads(flags.threads);
  ModelConfig config = Preset(flags.preset);
  if (flags.lr > 0) config.lr = flags.lr;
  if (flags.lr_min >= 0) config.lr_min = flags.lr_min;
  if (flags.warmup >= 0) config.warmup_steps = static_cast<uint32_t>(flags.warmup);
  if (flags.decay_steps >= 0) config.decay_steps = static_cast<uint32_t>(flags.decay_steps);
  config.stream_codec = flags.stream_codec;
  Check(config.Validate(), "config");
  const uint32_t digits = config.name == "tiny" ? 2 : 3;
  // 2-digit addition holds out fewer than 300 problems (tiny's dataset).
  const uint32_t held_out = digits == 3 ? 2000 : 250;
  const Dataset data = Addition(digits);
  std::unique_ptr<Engine> engine = NewEngine(config, true);
  std::unique_ptr<ReferenceTrainer> reference;
  if (flags.reference)
    reference = std::make_unique<ReferenceTrainer>(config, InitialParams(config), "cpu");
  std::printf("training %s (%llu parameters, %u sections, %u lanes × %u rows) %s on %d threads\n",
              config.name.c_str(), static_cast<unsigned long long>(config.NumParams()),
              config.sections, config.lanes, config.batch,
              flags.reference ? "monolithically" : "as work units", flags.threads);
  std::printf("%s\nlr %.1e warm-up %u, cosine to %.1e at step %u\n",
              engine->partition().ToString().c_str(), config.lr, config.warmup_steps, config.lr_min,
              config.decay_steps);
  // Units side by side on the threads, one intra-op thread each (with
  // --unit-threads=1: one unit at a time on all of them).
  LocalStep::Options options;
  options.threads = flags.unit_threads > 0 ? flags.unit_threads : flags.threads;
  const Clock::time_point start = Clock::now();
  double train_s = 0, loss_sum = 0;
  uint64_t loss_n = 0, step = 0;
  Evaluation eval;
  for (; step < flags.max_steps; ++step) {
    const Clock::time_point t0 = Clock::now();
    loss_sum += flags.reference ? ReferenceStep(reference.get(), data, config, step)
                                : UnitsStep(engine.get(), data, step, options);
    train_s += Seconds(t0);
    ++loss_n;
    if ((step + 1) % 50 == 0) {
      std::printf("step %5llu  loss %.4f  lr %.2e  %.1f s\n",
                  static_cast<unsigned long long>(step + 1), loss_sum / loss_n,
                  config.LearningRate(step), Seconds(start));
      std::fflush(stdout);
      loss_sum = 0;
      loss_n = 0;
    }
    if ((step + 1) % flags.eval_every == 0) {
      if (flags.reference) ImportReference(*reference, engine.get());
      Check(EvaluateAddition(engine.get(), digits, std::min(500u, held_out), /*seed=*/1, &eval),
            "evaluate");
      std::printf("step %5llu  held-out exact match %.1f%%  (%.1f s)\n",
                  static_cast<unsigned long long>(step + 1), 100 * eval.accuracy(), Seconds(start));
      std::fflush(stdout);
      if (eval.accuracy() >= flags.target) {
        ++step;
        break;
      }
    }
  }
  const double elapsed = Seconds(start);
  Evaluation final_eval;
  Check(EvaluateAddition(engine.get(), digits, std::min(2000u, held_out), /*seed=*/2, &final_eval),
        "evaluate");
  std::vector<std::string> out;
  const std::vector<std::string> prompt = {digits == 3 ? "123+456=" : "12+34="};
  Check(engine->Generate(prompt, MaxAnswerTokens(digits), &out), "generate");
  std::printf(
      "done: %llu steps in %.1f s (%.1f s training, %.1f ms/step); exact match %.1f%% on %llu "
      "fresh held-out problems\n",
      static_cast<unsigned long long>(step), elapsed, train_s, 1e3 * train_s / step,
      100 * final_eval.accuracy(), static_cast<unsigned long long>(final_eval.problems));
  std::printf("generate(\"%s\") -> \"%s\"\n", prompt[0].c_str(),
              out[0].substr(0, out[0].find('\n')).c_str());
  std::printf("state root %s\n", engine->StateRoot().ToHex().c_str());
  return final_eval.accuracy() >= flags.target ? 0 : 2;
}

// ---------------------------------------------------------------------------
// --spread mode.

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Distances gathered for one unit kind.
struct Spreads {
  std::vector<double> honest;     // per output: max over thread-count pairs
  std::vector<double> reference;  // per output: max over thread counts, vs the reference
  size_t outputs = 0, identical = 0;
  double torch_s = 0, reference_s = 0;  // summed over the kind's units; torch on 1 thread
};

void PrintSpreads(const std::string& what, const Spreads& s) {
  std::printf("%-22s %4zu %5zu  %8.1e %8.1e  %8.1e %8.1e  %8.2f %8.2f %7.1f\n", what.c_str(),
              s.outputs, s.identical, *std::max_element(s.honest.begin(), s.honest.end()),
              Median(s.honest), *std::max_element(s.reference.begin(), s.reference.end()),
              Median(s.reference), 1e3 * s.torch_s, 1e3 * s.reference_s,
              s.torch_s > 0 ? s.reference_s / s.torch_s : 0.0);
}

// Every unit of step `at` of `preset` (after `at` steps of training through
// the engine), executed by libtorch at 1, 2 and 4 threads and by the
// reference on the same committed inputs.
void MeasureSpread(const std::string& preset, uint64_t at) {
  const ModelConfig config = Preset(preset);
  const Dataset data = Addition(config.name == "tiny" ? 2 : 3);
  std::unique_ptr<Engine> engine = NewEngine(config, false);
  for (uint64_t step = 0; step < at; ++step) {
    LocalStep train(engine.get(), &data, step);
    Check(train.RunAll(), "train");
    Check(train.Commit(), "commit");
  }
  LocalStep step(engine.get(), &data, at);
  Check(step.RunAll(), "units");
  const ReferenceBackend reference(config, engine->partition());
  const int thread_counts[] = {1, 2, 4};
  std::map<UnitKind, Spreads> kinds;
  Spreads loss;
  for (const PlannedUnit& unit : step.plan().units) {
    std::vector<EncodedTensor> inputs;
    std::vector<Uint256> hashes;
    Check(step.Inputs(unit.id, &inputs, &hashes), "inputs");
    Spreads& k = kinds[unit.id.kind];
    std::vector<UnitResult> runs(3);
    for (int i = 0; i < 3; ++i) {
      at::set_num_threads(thread_counts[i]);
      const Clock::time_point t0 = Clock::now();
      Check(engine->Execute(unit.id, inputs, {}, &runs[i]), "execute");
      if (i == 0) k.torch_s += Seconds(t0);
    }
    std::vector<const EncodedTensor*> views;
    for (const EncodedTensor& t : inputs) views.push_back(&t);
    UnitResult ref;
    const Clock::time_point t0 = Clock::now();
    Check(reference.Run(unit, views, &ref), "reference");
    k.reference_s += Seconds(t0);
    for (size_t o = 0; o < unit.outputs.size(); ++o) {
      double honest = 0, vs_ref = 0;
      bool same = true;
      for (int i = 0; i < 3; ++i) {
        vs_ref = std::max(vs_ref, RelativeL2(runs[i].outputs[o], ref.outputs[o]));
        for (int j = i + 1; j < 3; ++j) {
          honest = std::max(honest, RelativeL2(runs[i].outputs[o], runs[j].outputs[o]));
          same = same && runs[i].outputs[o].payload == runs[j].outputs[o].payload;
        }
      }
      k.honest.push_back(honest);
      k.reference.push_back(vs_ref);
      ++k.outputs;
      k.identical += same ? 1 : 0;
    }
    if (unit.has_loss) {
      double honest = 0, vs_ref = 0;
      bool same = true;
      for (int i = 0; i < 3; ++i) {
        vs_ref = std::max(vs_ref, RelativeLossDistance(runs[i].loss, ref.loss));
        for (int j = i + 1; j < 3; ++j) {
          honest = std::max(honest, RelativeLossDistance(runs[i].loss, runs[j].loss));
          same = same && runs[i].loss == runs[j].loss;
        }
      }
      loss.honest.push_back(honest);
      loss.reference.push_back(vs_ref);
      ++loss.outputs;
      loss.identical += same ? 1 : 0;
    }
  }
  at::set_num_threads(1);
  for (const auto& [kind, s] : kinds) {
    PrintSpreads(preset + "@" + std::to_string(at) + " " + UnitKindName(kind), s);
  }
  PrintSpreads(preset + "@" + std::to_string(at) + " loss", loss);
}

int Spread(uint64_t train_steps) {
  std::printf("%-22s %4s %5s  %8s %8s  %8s %8s  %8s %8s %7s\n", "unit kind", "outs", "same",
              "thr-max", "thr-med", "ref-max", "ref-med", "torch-ms", "ref-ms", "ref/t");
  for (const char* preset : kPresets) {
    MeasureSpread(preset, 0);
    if (train_steps > 0) MeasureSpread(preset, train_steps);
  }
  return 0;
}

// ---------------------------------------------------------------------------
// --adversary mode.

struct AdversaryFlags {
  EngineOptions::Adversary mode = EngineOptions::Adversary::kNone;
  double share = 0.9;
  uint64_t steps = 300;
  std::string preset = "tiny";
};

// Relative L2 distance of two whole models' parameters, and ‖a‖.
double ParamsDistance(const ParamValues& a, const ParamValues& b) {
  double diff = 0, norm = 0;
  for (size_t p = 0; p < a.size(); ++p) {
    for (size_t i = 0; i < a[p].size(); ++i) {
      const double d = static_cast<double>(a[p][i]) - b[p][i];
      diff += d * d;
      norm += static_cast<double>(a[p][i]) * a[p][i];
    }
  }
  return std::sqrt(diff / norm);
}

int Adversarial(const AdversaryFlags& flags) {
  at::set_num_threads(1);
  const ModelConfig config = Preset(flags.preset);
  const Dataset data = Addition(config.name == "tiny" ? 2 : 3);
  std::unique_ptr<Engine> honest = NewEngine(config, true);
  std::unique_ptr<Engine> verifier = NewEngine(config, false);
  EngineOptions options;
  options.device = g_device;
  options.adversary = flags.mode;
  options.adversary_share = flags.share;
  std::unique_ptr<Engine> liar;
  Check(MakeTorchEngine(config, options, &liar), "engine");
  ParamValues initial;
  Check(honest->ExportParams(&initial), "export");
  std::printf("%s, adversary %s at a = %.2f (ε = %.0e, arbiter band %.2f), %llu steps\n",
              config.name.c_str(),
              flags.mode == EngineOptions::Adversary::kAscent ? "ascent" : "bias", flags.share,
              config.tolerance, EngineOptions{}.arbiter_band,
              static_cast<unsigned long long>(flags.steps));
  std::printf("%6s %10s %10s %10s %10s %10s %9s %8s %8s\n", "step", "loss", "loss-adv",
              "gap", "gap/loss", "w-gap", "w-moved", "accepted", "refused");
  double loss_honest = 0, loss_liar = 0;
  uint64_t n = 0, accepted = 0, refused = 0;
  for (uint64_t step = 0; step < flags.steps; ++step) {
    LocalStep good(honest.get(), &data, step);
    Check(good.RunAll(), "honest units");
    Check(good.Commit(), "honest commit");
    LocalStep bad(liar.get(), &data, step);
    Check(bad.RunAll(), "lying units");
    // Each lie as a verifier sees it: the committed inputs it read (the
    // liar's own upstream outputs and state) and the outputs it claims.
    for (const PlannedUnit& unit : bad.plan().units) {
      WorkClaim claim;
      Check(bad.Claim(unit.id, &claim), "claim");
      claim.hashes_checked = true;
      ValidationState verdict;
      Check(verifier->Verify(claim, claim.input_hashes, &verdict), "verify");
      if (verdict.IsValid()) {
        ++accepted;
      } else {
        ++refused;
        std::printf("refused %s: %s\n", UnitName(unit.id).c_str(), verdict.debug().c_str());
      }
    }
    Check(bad.Commit(), "lying commit");
    loss_honest += good.Loss();
    loss_liar += bad.Loss();
    ++n;
    if ((step + 1) % 50 == 0 || step + 1 == flags.steps) {
      ParamValues w_honest, w_liar;
      Check(honest->ExportParams(&w_honest), "export");
      Check(liar->ExportParams(&w_liar), "export");
      const double a = loss_honest / n, b = loss_liar / n;
      std::printf("%6llu %10.5f %10.5f %+10.2e %+10.2e %10.2e %9.2e %8llu %8llu\n",
                  static_cast<unsigned long long>(step + 1), a, b, b - a, (b - a) / a,
                  ParamsDistance(w_liar, w_honest), ParamsDistance(w_honest, initial),
                  static_cast<unsigned long long>(accepted),
                  static_cast<unsigned long long>(refused));
      std::fflush(stdout);
      loss_honest = loss_liar = 0;
      n = 0;
    }
  }
  std::printf("claims judged by the arbiter: %llu of %llu\n",
              static_cast<unsigned long long>(verifier->ArbiterRuns()),
              static_cast<unsigned long long>(accepted + refused));
  return refused == 0 ? 0 : 2;
}

bool ParseAdversary(int argc, char** argv, AdversaryFlags* flags) {
  bool on = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) { return arg.substr(std::strlen(name)); };
    if (arg.rfind("--adversary=", 0) == 0) {
      on = true;
      const std::string mode = value("--adversary=");
      if (mode == "ascent") {
        flags->mode = EngineOptions::Adversary::kAscent;
      } else if (mode == "bias") {
        flags->mode = EngineOptions::Adversary::kBias;
      } else {
        std::fprintf(stderr, "--adversary must be ascent or bias\n");
        std::exit(1);
      }
    } else if (arg.rfind("--adversary-share=", 0) == 0) {
      flags->share = std::stod(value("--adversary-share="));
    } else if (arg.rfind("--steps=", 0) == 0) {
      flags->steps = std::stoull(value("--steps="));
    } else if (arg.rfind("--preset=", 0) == 0) {
      flags->preset = value("--preset=");
    }
  }
  return on;
}

bool ParseTrain(int argc, char** argv, TrainFlags* flags) {
  bool train = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) { return arg.substr(std::strlen(name)); };
    if (arg.rfind("--train=", 0) == 0) {
      train = true;
      flags->preset = value("--train=");
    } else if (arg.rfind("--threads=", 0) == 0) {
      flags->threads = std::stoi(value("--threads="));
    } else if (arg.rfind("--unit-threads=", 0) == 0) {
      flags->unit_threads = std::stoi(value("--unit-threads="));
    } else if (arg.rfind("--max-steps=", 0) == 0) {
      flags->max_steps = std::stoull(value("--max-steps="));
    } else if (arg.rfind("--eval-every=", 0) == 0) {
      flags->eval_every = std::stoull(value("--eval-every="));
    } else if (arg.rfind("--target=", 0) == 0) {
      flags->target = std::stod(value("--target="));
    } else if (arg.rfind("--lr=", 0) == 0) {
      flags->lr = std::stof(value("--lr="));
    } else if (arg.rfind("--lr-min=", 0) == 0) {
      flags->lr_min = std::stof(value("--lr-min="));
    } else if (arg.rfind("--warmup=", 0) == 0) {
      flags->warmup = std::stoll(value("--warmup="));
    } else if (arg.rfind("--decay-steps=", 0) == 0) {
      flags->decay_steps = std::stoll(value("--decay-steps="));
    } else if (arg == "--reference") {
      flags->reference = true;
    } else if (arg.rfind("--stream-codec=", 0) == 0) {
      const std::string codec = value("--stream-codec=");
      if (codec == "bf16") {
        flags->stream_codec = Codec::kBFloat16;
      } else if (codec == "int8") {
        flags->stream_codec = Codec::kInt8Rows;
      } else if (codec != "fp32") {
        std::fprintf(stderr, "--stream-codec must be fp32, bf16 or int8\n");
        std::exit(1);
      }
    }
  }
  return train;
}

}  // namespace
}  // namespace cc::compute

int main(int argc, char** argv) {
  // Keep freed blocks in the heap: by default glibc returns every block over
  // 128 KiB to the kernel, and re-faulting those pages on the next step costs
  // both the units and the monolithic step ~10% here.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  cc::compute::TrainFlags flags;
  if (cc::compute::ParseTrain(argc, argv, &flags)) return cc::compute::Train(flags);
  cc::compute::AdversaryFlags adversary;
  if (cc::compute::ParseAdversary(argc, argv, &adversary))
    return cc::compute::Adversarial(adversary);

  // --device= is ours; the rest go to Google Benchmark.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--device=", 0) == 0) {
      cc::compute::Check(cc::compute::ResolveTorchDevice(arg.substr(9), &cc::compute::g_device),
                         "--device");
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  std::printf("device: %s\n", cc::compute::g_device.c_str());
  cc::compute::PrintBlas();
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--spread") != 0) continue;
    uint64_t steps = 20;
    for (int j = 1; j < argc; ++j) {
      if (std::strncmp(argv[j], "--spread-steps=", 15) == 0) steps = std::stoull(argv[j] + 15);
    }
    return cc::compute::Spread(steps);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
