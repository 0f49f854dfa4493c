#include "compute/plan.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace cc::compute {

std::vector<UnitId> PlannedUnit::Dependencies() const {
  std::vector<UnitId> deps;
  for (const UnitInput& input : inputs) {
    if (input.source.kind != Source::Kind::kUnit) continue;
    if (std::find(deps.begin(), deps.end(), input.source.unit) == deps.end()) {
      deps.push_back(input.source.unit);
    }
  }
  return deps;
}

const PlannedUnit* StepPlan::Find(const UnitId& id) const {
  for (const PlannedUnit& unit : units) {
    if (unit.id == id) return &unit;
  }
  return nullptr;
}

const PlannedUnit* StepPlan::FindIgnoringStep(UnitId id) const {
  id.step = step;
  return Find(id);
}

const char* UnitKindName(UnitKind kind) {
  switch (kind) {
    case UnitKind::kForward:
      return "FORWARD";
    case UnitKind::kBackward:
      return "BACKWARD";
    case UnitKind::kAttention:
      return "ATTENTION";
    case UnitKind::kUpdate:
      return "UPDATE";
  }
  return "?";
}

std::string UnitName(const UnitId& id) {
  std::ostringstream out;
  out << UnitKindName(id.kind) << "(step=" << id.step;
  switch (id.kind) {
    case UnitKind::kForward:
    case UnitKind::kBackward:
      out << " lane=" << id.lane << " section=" << id.section << " layer=" << id.layer;
      break;
    case UnitKind::kAttention:
      out << " lane=" << id.lane << " layer=" << id.layer << " head_group=" << id.head_group
          << " query_segment=" << id.query_segment;
      break;
    case UnitKind::kUpdate:
      out << " section=" << id.section;
      break;
  }
  out << ")";
  return out.str();
}

namespace {

// Atom indices in model order: EMB = 0, ATT(l) = 1 + 2l, MLP(l) = 2 + 2l, HEAD = 2L + 1.
uint32_t AtomIndex(const Piece& piece, uint32_t n_layer) {
  switch (piece.kind) {
    case AtomKind::kEmbedding:
      return 0;
    case AtomKind::kAttention:
      return 1 + 2 * piece.layer;
    case AtomKind::kMlp:
      return 2 + 2 * piece.layer;
    case AtomKind::kHead:
      return 2 * n_layer + 1;
  }
  return 0;
}

// One stage: the ops of section `section` in region `region`.
struct Stage {
  uint32_t section = 0;
  uint32_t region = 0;
  std::vector<Op> ops;
  uint32_t first_atom = 0;  // atom of ops.front()
  uint32_t last_atom = 0;   // atom of ops.back()
  // Filled while planning the forward pass:
  std::vector<UnitInput> inputs;
  std::vector<TensorSlot> outputs;
  int stream_output = -1;  // index into outputs, or −1
  int qkv_output = -1;
  std::vector<UnitId> stream_readers;  // FORWARD units reading stream_output

  const Op& front() const { return ops.front(); }
  const Op& back() const { return ops.back(); }
  UnitId Forward(uint64_t step, uint32_t lane) const {
    return UnitId{UnitKind::kForward, step, lane, section, region, 0, 0};
  }
  UnitId Backward(uint64_t step, uint32_t lane) const {
    return UnitId{UnitKind::kBackward, step, lane, section, region, 0, 0};
  }
};

// Equal split of [0, n) into `parts`: part i is [⌊in/parts⌋, ⌊(i+1)n/parts⌋).
uint32_t SplitBegin(uint32_t n, uint32_t parts, uint32_t i) {
  return static_cast<uint32_t>(uint64_t{n} * i / parts);
}

class Planner {
 public:
  Planner(const ModelConfig& config, const Partition& partition, uint64_t step)
      : config_(config), partition_(partition), step_(step) {}

  StepPlan Build() {
    MakeStages();
    StepPlan plan;
    plan.step = step_;
    for (uint32_t lane = 0; lane < config_.lanes; ++lane) {
      PlanLane(lane, &plan);
    }
    PlanUpdates(&plan);
    SetHomeSections(&plan);
    return plan;
  }

 private:
  // PlannedUnit::home_section; the plan lists producers first.
  static void SetHomeSections(StepPlan* plan) {
    std::map<UnitId, uint32_t> home;
    for (PlannedUnit& unit : plan->units) {
      unit.home_section = unit.id.section;
      if (unit.id.kind == UnitKind::kAttention && !unit.inputs.empty() &&
          unit.inputs[0].source.kind == Source::Kind::kUnit)
        unit.home_section = home.at(unit.inputs[0].source.unit);
      home[unit.id] = unit.home_section;
    }
  }

  // Stages in forward order: by region, then by first atom, then by section.
  void MakeStages() {
    for (uint32_t s = 0; s < partition_.sections.size(); ++s) {
      const Section& section = partition_.sections[s];
      for (const Op& op : SectionOps(config_, section)) {
        if (stages_.empty() || stages_.back().section != s || stages_.back().region != op.region) {
          Stage stage;
          stage.section = s;
          stage.region = op.region;
          stage.first_atom = AtomIndex(section.pieces[op.piece], config_.n_layer);
          stages_.push_back(std::move(stage));
        }
        stages_.back().ops.push_back(op);
        stages_.back().last_atom = AtomIndex(section.pieces[op.piece], config_.n_layer);
      }
    }
    std::stable_sort(stages_.begin(), stages_.end(), [](const Stage& a, const Stage& b) {
      if (a.region != b.region) return a.region < b.region;
      if (a.first_atom != b.first_atom) return a.first_atom < b.first_atom;
      return a.section < b.section;
    });
  }

  const Piece& PieceOf(const Stage& stage, const Op& op) const {
    return partition_.sections[stage.section].pieces[op.piece];
  }

  uint64_t B() const { return config_.batch; }
  uint64_t T() const { return config_.context; }
  uint64_t C() const { return config_.d_model; }
  uint64_t HS() const { return config_.head_size(); }

  TensorSlot Slot(TensorRole role, std::vector<uint64_t> shape,
                  Codec codec = Codec::kFloat32) const {
    TensorSlot slot;
    slot.role = role;
    slot.codec = IsStream(role) ? config_.stream_codec : codec;
    slot.shape = std::move(shape);
    return slot;
  }
  TensorSlot HeadSlot(TensorRole role, uint32_t h0, uint32_t h1, uint64_t rows,
                      uint64_t width_per_head) const {
    TensorSlot slot = Slot(role, {B(), rows, (h1 - h0) * width_per_head});
    slot.head_begin = h0;
    slot.head_end = h1;
    return slot;
  }

  // The stages that hold the last op of atom `atom`: one per shard, in shard
  // order. Their stream outputs, summed, are the stream after that atom.
  std::vector<Stage*> StagesEndingAtom(uint32_t atom) {
    std::vector<Stage*> found;
    for (Stage& stage : stages_) {
      for (const Op& op : stage.ops) {
        if (AtomIndex(PieceOf(stage, op), config_.n_layer) != atom) continue;
        const bool attn_in = op.kind == OpKind::kAttnIn;  // ATT's last op is ATT_OUT
        if (!attn_in) found.push_back(&stage);
      }
    }
    return found;
  }

  // Adds to `unit` the inputs that make up the stream before atom `atom`, and
  // records the readers so the producers output their stream.
  void AddStreamInputs(uint32_t atom, const UnitId& reader, std::vector<UnitInput>* inputs) {
    for (Stage* producer : StagesEndingAtom(atom - 1)) {
      if (producer->stream_output < 0) {
        producer->stream_output = static_cast<int>(producer->outputs.size());
        producer->outputs.push_back(Slot(TensorRole::kStream, {B(), T(), C()}));
      }
      producer->stream_readers.push_back(reader);
      Source source{Source::Kind::kUnit, producer->Forward(step_, reader.lane),
                    static_cast<uint32_t>(producer->stream_output)};
      inputs->push_back({Slot(TensorRole::kStream, {B(), T(), C()}), source});
    }
  }

  // The stages holding ATT_IN of layer l whose heads meet [h0, h1).
  std::vector<Stage*> QkvStages(uint32_t layer, uint32_t h0, uint32_t h1) {
    std::vector<Stage*> found;
    for (Stage& stage : stages_) {
      const Op& op = stage.back();
      if (op.kind != OpKind::kAttnIn) continue;
      const Piece& piece = PieceOf(stage, op);
      if (piece.layer == layer && piece.begin < h1 && h0 < piece.end) found.push_back(&stage);
    }
    return found;
  }

  // Forward stages and attention units of one lane, then its backward stages.
  void PlanLane(uint32_t lane, StepPlan* plan) {
    for (Stage& stage : stages_) {
      stage.inputs.clear();
      stage.outputs.clear();
      stage.stream_output = stage.qkv_output = -1;
      stage.stream_readers.clear();
    }
    std::vector<PlannedUnit> forward;
    for (Stage& stage : stages_) {
      const UnitId id = stage.Forward(step_, lane);
      std::vector<UnitInput>& in = stage.inputs;
      in.push_back({Slot(TensorRole::kWeights, {partition_.sections[stage.section].num_params}),
                    Source{Source::Kind::kState, {}, 0}});
      const Op& first = stage.front();
      const Source batch{Source::Kind::kBatch, {}, 0};
      if (first.kind == OpKind::kEmbed) {
        in.push_back({Slot(TensorRole::kTokens, {B(), T()}, Codec::kUInt8), batch});
      }
      const Piece& piece = PieceOf(stage, first);
      if (ReadsStream(stage)) AddStreamInputs(AtomIndex(piece, config_.n_layer), id, &in);
      if (first.kind == OpKind::kAttnOut) AddAttentionInputs(piece, lane, &in);
      if (stage.back().kind == OpKind::kHead) {
        in.push_back({Slot(TensorRole::kTargets, {B(), T()}, Codec::kUInt8), batch});
        in.push_back({Slot(TensorRole::kLossMask, {B(), T()}, Codec::kUInt8), batch});
      }
      if (stage.back().kind == OpKind::kAttnIn) {
        const Piece& last = PieceOf(stage, stage.back());
        stage.qkv_output = static_cast<int>(stage.outputs.size());
        stage.outputs.push_back(HeadSlot(TensorRole::kQkv, static_cast<uint32_t>(last.begin),
                                         static_cast<uint32_t>(last.end), T(), 3 * HS()));
      }
    }
    // Outputs are final only once every reader has been planned.
    for (Stage& stage : stages_) {
      PlannedUnit unit;
      unit.id = stage.Forward(step_, lane);
      unit.inputs = stage.inputs;
      unit.outputs = stage.outputs;
      unit.has_loss = stage.back().kind == OpKind::kHead;
      forward.push_back(std::move(unit));
      if (stage.back().kind == OpKind::kAttnIn && IsLastQkvStage(stage)) {
        PlanAttention(PieceOf(stage, stage.back()).layer, lane, &forward);
      }
    }
    for (PlannedUnit& unit : forward) plan->units.push_back(std::move(unit));
    for (auto it = stages_.rbegin(); it != stages_.rend(); ++it) {
      plan->units.push_back(PlanBackward(*it, lane));
    }
  }

  // True for the last stage (in forward order) that computes q, k, v of its
  // layer: the layer's attention units follow it.
  bool IsLastQkvStage(const Stage& stage) const {
    const uint32_t layer = PieceOf(stage, stage.back()).layer;
    const Stage* last = nullptr;
    for (const Stage& other : stages_) {
      if (other.back().kind == OpKind::kAttnIn && PieceOf(other, other.back()).layer == layer) {
        last = &other;
      }
    }
    return last == &stage;
  }

  void HeadGroup(uint32_t g, uint32_t* h0, uint32_t* h1) const {
    *h0 = SplitBegin(config_.n_head, config_.head_groups, g);
    *h1 = SplitBegin(config_.n_head, config_.head_groups, g + 1);
  }
  void QuerySegment(uint32_t q, uint32_t* t0, uint32_t* t1) const {
    *t0 = SplitBegin(config_.context, config_.query_segments, q);
    *t1 = SplitBegin(config_.context, config_.query_segments, q + 1);
  }
  UnitId AttentionId(uint32_t layer, uint32_t lane, uint32_t g, uint32_t q) const {
    return UnitId{UnitKind::kAttention, step_, lane, 0, layer, g, q};
  }

  void PlanAttention(uint32_t layer, uint32_t lane, std::vector<PlannedUnit>* out) {
    for (uint32_t g = 0; g < config_.head_groups; ++g) {
      uint32_t h0 = 0, h1 = 0;
      HeadGroup(g, &h0, &h1);
      for (uint32_t q = 0; q < config_.query_segments; ++q) {
        uint32_t t0 = 0, t1 = 0;
        QuerySegment(q, &t0, &t1);
        PlannedUnit unit;
        unit.id = AttentionId(layer, lane, g, q);
        for (Stage* producer : QkvStages(layer, h0, h1)) {
          unit.inputs.push_back({producer->outputs[producer->qkv_output],
                                 Source{Source::Kind::kUnit, producer->Forward(step_, lane),
                                        static_cast<uint32_t>(producer->qkv_output)}});
        }
        TensorSlot y = HeadSlot(TensorRole::kAttention, h0, h1, t1 - t0, HS());
        y.row_begin = t0;
        y.row_end = t1;
        unit.outputs.push_back(y);
        out->push_back(std::move(unit));
      }
    }
  }

  // The attention outputs a stage starting with ATT_OUT of `piece` reads:
  // every (head group meeting its heads, query segment), groups outer.
  void AddAttentionInputs(const Piece& piece, uint32_t lane, std::vector<UnitInput>* in) const {
    for (uint32_t g = 0; g < config_.head_groups; ++g) {
      uint32_t h0 = 0, h1 = 0;
      HeadGroup(g, &h0, &h1);
      if (!(h0 < piece.end && piece.begin < h1)) continue;
      for (uint32_t q = 0; q < config_.query_segments; ++q) {
        uint32_t t0 = 0, t1 = 0;
        QuerySegment(q, &t0, &t1);
        TensorSlot y = HeadSlot(TensorRole::kAttention, h0, h1, t1 - t0, HS());
        y.row_begin = t0;
        y.row_end = t1;
        in->push_back({y, Source{Source::Kind::kUnit, AttentionId(piece.layer, lane, g, q), 0}});
      }
    }
  }

  const Stage* FindStage(uint32_t section, uint32_t region) const {
    for (const Stage& stage : stages_) {
      if (stage.section == section && stage.region == region) return &stage;
    }
    return nullptr;
  }

  // Whether a stage reads the stream: all but the embedding, and but the
  // attention projection of a shard past the first, whose part of the
  // output does not include the stream.
  bool ReadsStream(const Stage& stage) const {
    const Op& first = stage.front();
    if (first.kind == OpKind::kEmbed) return false;
    return !(first.kind == OpKind::kAttnOut && PieceOf(stage, first).begin > 0);
  }

  // Output indices of a stage's BACKWARD, as PlanBackward lays them out.
  int StreamGradOutput(const Stage& stage) const { return ReadsStream(stage) ? 0 : -1; }
  int AttentionGradOutput(const Stage& stage) const {
    return stage.front().kind == OpKind::kAttnOut ? StreamGradOutput(stage) + 1 : -1;
  }

  PlannedUnit PlanBackward(const Stage& stage, uint32_t lane) const {
    PlannedUnit unit;
    unit.id = stage.Backward(step_, lane);
    unit.inputs = stage.inputs;
    if (stage.stream_output >= 0) {
      for (const UnitId& reader : stage.stream_readers) {
        const Stage* consumer = FindStage(reader.section, reader.layer);
        unit.inputs.push_back({Slot(TensorRole::kStreamGrad, {B(), T(), C()}),
                               Source{Source::Kind::kUnit, consumer->Backward(step_, lane),
                                      static_cast<uint32_t>(StreamGradOutput(*consumer))}});
      }
    }
    if (stage.back().kind == OpKind::kAttnIn) {
      const Piece& piece = PieceOf(stage, stage.back());
      const Stage* after = FindStage(stage.section, stage.region + 1);
      unit.inputs.push_back(
          {HeadSlot(TensorRole::kAttentionGrad, static_cast<uint32_t>(piece.begin),
                    static_cast<uint32_t>(piece.end), T(), HS()),
           Source{Source::Kind::kUnit, after->Backward(step_, lane),
                  static_cast<uint32_t>(AttentionGradOutput(*after))}});
    }
    if (StreamGradOutput(stage) >= 0) {
      unit.outputs.push_back(Slot(TensorRole::kStreamGrad, {B(), T(), C()}));
    }
    if (AttentionGradOutput(stage) >= 0) {
      const Piece& piece = PieceOf(stage, stage.front());
      unit.outputs.push_back(HeadSlot(TensorRole::kAttentionGrad,
                                      static_cast<uint32_t>(piece.begin),
                                      static_cast<uint32_t>(piece.end), T(), HS()));
    }
    unit.outputs.push_back(ParamGradSlot(stage));
    return unit;
  }

  static TensorSlot ParamGradSlot(const Stage& stage) {
    TensorSlot slot;
    slot.role = TensorRole::kParamGrad;
    slot.param_begin = stage.front().param_offset;
    slot.param_end = stage.back().param_offset + stage.back().param_count;
    slot.shape = {slot.param_end - slot.param_begin};
    return slot;
  }

  void PlanUpdates(StepPlan* plan) const {
    for (uint32_t s = 0; s < partition_.sections.size(); ++s) {
      const uint64_t p = partition_.sections[s].num_params;
      const uint64_t state_rows = config_.optimizer == Optimizer::kAdamW ? 2 : 0;
      const TensorSlot weights = Slot(TensorRole::kWeights, {p});
      const TensorSlot state =
          Slot(TensorRole::kOptimizerState,
               state_rows == 0 ? std::vector<uint64_t>{0} : std::vector<uint64_t>{2, p});
      PlannedUnit unit;
      unit.id = UnitId{UnitKind::kUpdate, step_, 0, s, 0, 0, 0};
      unit.inputs.push_back({weights, Source{Source::Kind::kState, {}, 0}});
      unit.inputs.push_back({state, Source{Source::Kind::kState, {}, 0}});
      // Stages of s in region order (the order of its ops).
      std::vector<const Stage*> own;
      for (const Stage& stage : stages_) {
        if (stage.section == s) own.push_back(&stage);
      }
      std::sort(own.begin(), own.end(),
                [](const Stage* a, const Stage* b) { return a->region < b->region; });
      for (uint32_t lane = 0; lane < config_.lanes; ++lane) {
        for (const Stage* stage : own) {
          const TensorSlot grad = ParamGradSlot(*stage);
          const uint32_t index = static_cast<uint32_t>((StreamGradOutput(*stage) >= 0 ? 1 : 0) +
                                                       (AttentionGradOutput(*stage) >= 0 ? 1 : 0));
          unit.inputs.push_back(
              {grad, Source{Source::Kind::kUnit, stage->Backward(step_, lane), index}});
        }
      }
      unit.outputs = {weights, state};
      plan->units.push_back(std::move(unit));
    }
  }

  const ModelConfig& config_;
  const Partition& partition_;
  const uint64_t step_;
  std::vector<Stage> stages_;
};

}  // namespace

StepPlan BuildStepPlan(const ModelConfig& config, const Partition& partition, uint64_t step) {
  return Planner(config, partition, step).Build();
}

}  // namespace cc::compute
