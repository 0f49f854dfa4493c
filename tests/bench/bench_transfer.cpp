// bench_transfer: the bytes one training step must move between nodes, from
// the step plan alone (compute/plan.h; no libtorch, nothing executed), for
// the protocol as built and for the two the distributed-training issue
// names, with the activations and their gradients on the wire as fp32, bf16
// or int8 rows.
//
//   bench_transfer [--preset=devnet] [--context=N] [--workers=W] [--sample=P]
//                  [--link-gbit=1]
//
// Protocols, bytes a node receives per step:
//   every-output   as built (doc/protocol.md): every node fetches every
//                  record's outputs but UPDATE's, which it recomputes from
//                  the lanes' gradients (doc/consensus.md §7), so a worker
//                  of W receives (1 − 1/W) of those outputs and a verifying
//                  node all of them.
//   on-demand      a worker fetches only what its own units read, units
//                  assigned at random among W workers, and holds nothing
//                  between steps: each unit's inputs from other workers'
//                  units and the section state it reads.
//   holders        each worker keeps its sections and computes all their
//                  units (every lane, the attention its stages feed, and
//                  UPDATE, which it recomputes from the
//                  lanes' gradients, so weights and optimizer state never
//                  move): it receives only the stream crossing into its
//                  sections (activations forward, their gradients backward).
//                  A verifier sampling a share P of the units fetches what
//                  those units read, state included.
// It also counts the worker-to-worker hops of a step under the schedule's
// assignment by home section and under the earlier one by plan index.
// Each payload is sized by the tensor codec itself (compute/tensor.h);
// the wire's framing and chunk headers (a few dozen bytes a chunk) are left
// out. Seconds are at the link speed given, one link per node, nothing
// overlapped.

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <algorithm>
#include <vector>

#include "compute/model_config.h"
#include "compute/partition.h"
#include "compute/plan.h"
#include "compute/tensor.h"

namespace cc::compute {
namespace {

struct Flags {
  std::string preset = "devnet";
  uint32_t context = 0;  // 0: the preset's
  uint32_t workers = 3;
  double sample = 0.25;
  double link_gbit = 1.0;
};

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "bench_transfer: %s\n", message.c_str());
  std::exit(1);
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const std::string& name) -> const char* {
      return arg.rfind(name, 0) == 0 ? arg.c_str() + name.size() : nullptr;
    };
    if (const char* v1 = value("--preset=")) {
      f.preset = v1;
    } else if (const char* v2 = value("--context=")) {
      f.context = static_cast<uint32_t>(std::strtoul(v2, nullptr, 10));
    } else if (const char* v3 = value("--workers=")) {
      f.workers = static_cast<uint32_t>(std::strtoul(v3, nullptr, 10));
    } else if (const char* v4 = value("--sample=")) {
      f.sample = std::strtod(v4, nullptr);
    } else if (const char* v5 = value("--link-gbit=")) {
      f.link_gbit = std::strtod(v5, nullptr);
    } else {
      Fail("unknown argument " + arg + " (see the file comment)");
    }
  }
  if (f.workers == 0 || f.sample < 0 || f.sample > 1 || f.link_gbit <= 0)
    Fail("--workers must be at least 1, --sample in [0, 1], --link-gbit above 0");
  return f;
}

// The payload bytes of a slot sent with `stream_codec` for stream-like
// roles, sized by the codec's own encoder (memoised per codec and shape).
class Sizer {
 public:
  explicit Sizer(Codec stream_codec) : stream_codec_(stream_codec) {}
  double Bytes(const TensorSlot& slot) {
    const Codec codec = IsStream(slot.role) ? stream_codec_ : slot.codec;
    auto key = std::make_pair(static_cast<int>(codec), slot.shape);
    auto it = memo_.find(key);
    if (it != memo_.end()) return it->second;
    uint64_t n = 1;
    for (uint64_t d : slot.shape) n *= d;
    double bytes = 0;
    if (codec == Codec::kUInt8) {
      bytes = static_cast<double>(n);
    } else {
      const std::vector<float> zeros(n, 0.0f);
      bytes = static_cast<double>(EncodeFloats(zeros, slot.shape, codec).payload.size());
    }
    memo_.emplace(std::move(key), bytes);
    return bytes;
  }

 private:
  Codec stream_codec_;
  std::map<std::pair<int, std::vector<uint64_t>>, double> memo_;
};

struct Totals {
  double outputs = 0;                     // every unit's outputs
  std::map<UnitKind, double> by_kind;     // the same, by unit kind
  std::map<UnitKind, int> units_by_kind;  //
  double every_worker = 0, every_verifier = 0, on_demand = 0, holder = 0, verifier = 0;
  std::map<TensorRole, double> holder_by_role;  // what crosses into a holder's sections
};

// A tensor some unit reads, counted once however many units read it: an
// output of a unit of the step, or a section's state.
struct Read {
  double bytes = 0;
  TensorRole role = TensorRole::kStream;
  int producer_section = -1;   // -1: state, which holders keep
  std::vector<uint32_t> readers;  // the reading units' sections, one entry per unit
};

// The chance that at least one of k independent draws of probability p hits.
double AnyOf(size_t k, double p) {
  double none = 1;
  for (size_t i = 0; i < k; ++i) none *= 1 - p;
  return 1 - none;
}

Totals Account(const StepPlan& plan, uint32_t sections, uint32_t workers, double sample,
               Sizer* sizer) {
  Totals t;
  const double w = workers;
  std::map<std::pair<UnitId, uint32_t>, Read> reads;  // unit outputs read, by (unit, output)
  std::map<std::pair<uint32_t, int>, Read> state;     // state read, by (section, role)
  // Whose holder runs a unit: its home section (the schedule's, plan.h).
  std::map<UnitId, uint32_t> home;
  for (const PlannedUnit& u : plan.units) home[u.id] = u.home_section;
  for (const PlannedUnit& u : plan.units) {
    ++t.units_by_kind[u.id.kind];
    for (const TensorSlot& out : u.outputs) {
      const double b = sizer->Bytes(out);
      t.outputs += b;
      t.by_kind[u.id.kind] += b;
    }
    for (const UnitInput& in : u.inputs) {
      Read* r = nullptr;
      if (in.source.kind == Source::Kind::kUnit) {
        r = &reads[{in.source.unit, in.source.output}];
        r->producer_section = static_cast<int>(home.at(in.source.unit));
      } else if (in.source.kind == Source::Kind::kState) {
        r = &state[{u.id.section, static_cast<int>(in.slot.role)}];
      } else {
        continue;  // batches are derived from the dataset, never sent
      }
      r->bytes = sizer->Bytes(in.slot);
      r->role = in.slot.role;
      r->readers.push_back(home.at(u.id));
    }
  }
  const double fetched_outputs = t.outputs - t.by_kind[UnitKind::kUpdate];
  t.every_worker = fetched_outputs * (1 - 1 / w);
  t.every_verifier = fetched_outputs;
  // on-demand: units at random among the workers; a worker fetches a tensor
  // if it runs one of its readers and did not make it. A sampling verifier
  // fetches it if it samples one of its readers.
  auto fetched = [&](const Read& r) {
    const size_t k = r.readers.size();
    const double made_elsewhere = r.producer_section < 0 ? 1 : 1 - 1 / w;
    t.on_demand += r.bytes * AnyOf(k, 1 / w) * made_elsewhere;
    t.verifier += r.bytes * AnyOf(k, sample);
  };
  for (const auto& [key, r] : reads) fetched(r);
  for (const auto& [key, r] : state) fetched(r);
  // holders: each worker keeps sections/W sections; a tensor crosses into
  // each other section that reads it, once.
  for (const auto& [key, r] : reads) {
    std::vector<bool> into(sections, false);
    for (uint32_t s : r.readers)
      if (static_cast<int>(s) != r.producer_section) into[s] = true;
    for (bool crossing : into) {
      if (!crossing) continue;
      t.holder += r.bytes / w;
      t.holder_by_role[r.role] += r.bytes / w;
    }
  }
  return t;
}

// Worker-to-worker hops of a step with W workers in unit order [0, W) at
// attempt 0: dependency edges (a unit reading another's outputs) whose two
// units go to different workers, and the most such hops on any one chain of
// dependencies (what bounds a step's latency when each hop costs a relay).
struct Hops {
  size_t edges = 0, crossing = 0, longest_chain = 0;
};

Hops CountHops(const StepPlan& plan, uint32_t workers,
               const std::function<uint64_t(size_t)>& position) {
  std::map<UnitId, size_t> index;
  for (size_t i = 0; i < plan.units.size(); ++i) index[plan.units[i].id] = i;
  Hops h;
  std::vector<size_t> chain(plan.units.size(), 0);  // hops on the longest chain ending here
  for (size_t i = 0; i < plan.units.size(); ++i) {
    for (const UnitId& dep : plan.units[i].Dependencies()) {
      const size_t j = index.at(dep);  // the plan lists producers first
      const bool crosses = position(i) % workers != position(j) % workers;
      ++h.edges;
      h.crossing += crosses;
      chain[i] = std::max(chain[i], chain[j] + (crosses ? 1 : 0));
    }
    h.longest_chain = std::max(h.longest_chain, chain[i]);
  }
  return h;
}

double MB(double bytes) { return bytes / 1e6; }

// TensorRole's comment names in compute/plan.h.
const char* RoleName(TensorRole role) {
  switch (role) {
    case TensorRole::kWeights: return "weights";
    case TensorRole::kOptimizerState: return "optimizer state";
    case TensorRole::kTokens: return "tokens";
    case TensorRole::kTargets: return "targets";
    case TensorRole::kLossMask: return "loss mask";
    case TensorRole::kStream: return "stream";
    case TensorRole::kQkv: return "qkv";
    case TensorRole::kAttention: return "attention";
    case TensorRole::kStreamGrad: return "stream grad";
    case TensorRole::kAttentionGrad: return "attention grad";
    case TensorRole::kParamGrad: return "param grad";
  }
  return "?";
}

int Main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  ModelConfig config;
  if (!PresetConfig(flags.preset, &config).ok()) Fail("no preset " + flags.preset);
  if (flags.context != 0) config.context = flags.context;
  if (Status s = config.Validate(); !s.ok()) Fail(s.ToString());
  Partition partition;
  if (Status s = PartitionModel(config, config.sections, &partition); !s.ok()) Fail(s.ToString());
  const StepPlan plan = BuildStepPlan(config, partition, 0);
  const double link_bytes_per_s = flags.link_gbit * 1e9 / 8;

  std::printf("%s: L=%u C=%u T=%u B=%u per lane, %u lanes, %u sections, %zu units a step; %u workers, "
              "verifiers sample %.2f; seconds at %.3g Gbit/s\n",
              config.name.c_str(), config.n_layer, config.d_model, config.context, config.batch,
              config.lanes, config.sections, plan.units.size(), flags.workers, flags.sample,
              flags.link_gbit);

  Sizer fp32(Codec::kFloat32);
  const Totals base = Account(plan, config.sections, flags.workers, flags.sample, &fp32);
  std::printf("\noutputs a step, as planned (fp32):\n| kind | units | MB |\n|---|---|---|\n");
  for (const auto& [kind, bytes] : base.by_kind)
    std::printf("| %s | %d | %.1f |\n", UnitKindName(kind), base.units_by_kind.at(kind), MB(bytes));
  std::printf("| all | %zu | %.1f |\n", plan.units.size(), MB(base.outputs));

  const Hops by_index =
      CountHops(plan, flags.workers, [](size_t i) { return static_cast<uint64_t>(i); });
  const Hops by_home = CountHops(plan, flags.workers, [&](size_t i) {
    return static_cast<uint64_t>(plan.units[i].home_section);
  });
  std::printf("\nworker-to-worker hops a step, %u workers (consensus/schedule.h, UNITS):\n"
              "| assignment | dependency edges | crossing workers | on the longest chain |\n"
              "|---|---|---|---|\n"
              "| by plan index (rules version 3) | %zu | %zu | %zu |\n"
              "| by home section (version 4) | %zu | %zu | %zu |\n",
              flags.workers, by_index.edges, by_index.crossing, by_index.longest_chain,
              by_home.edges, by_home.crossing, by_home.longest_chain);

  std::printf("\nwhat crosses into a holder's sections a step (fp32), MB:\n| role | MB |\n|---|---|\n");
  for (const auto& [role, bytes] : base.holder_by_role)
    std::printf("| %s | %.1f |\n", RoleName(role), MB(bytes));

  std::printf("\nbytes a node receives a step, MB (seconds):\n"
              "| streams as | every-output: worker | every-output: verifier | on-demand: worker "
              "| holders: worker | holders: verifier |\n|---|---|---|---|---|---|\n");
  for (const auto& [name, codec] : {std::pair{"fp32", Codec::kFloat32},
                                    std::pair{"bf16", Codec::kBFloat16},
                                    std::pair{"int8 rows", Codec::kInt8Rows}}) {
    Sizer sizer(codec);
    const Totals t = Account(plan, config.sections, flags.workers, flags.sample, &sizer);
    auto cell = [&](double bytes) {
      char text[64];
      std::snprintf(text, sizeof(text), "%.1f (%.3f)", MB(bytes), bytes / link_bytes_per_s);
      return std::string(text);
    };
    std::printf("| %s | %s | %s | %s | %s | %s |\n", name, cell(t.every_worker).c_str(),
                cell(t.every_verifier).c_str(), cell(t.on_demand).c_str(), cell(t.holder).c_str(),
                cell(t.verifier).c_str());
  }
  return 0;
}

}  // namespace
}  // namespace cc::compute

int main(int argc, char** argv) { return cc::compute::Main(argc, argv); }
