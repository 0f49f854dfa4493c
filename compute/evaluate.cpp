#include "compute/evaluate.h"

#include <string>
#include <vector>

#include "compute/dataset.h"

namespace cc::compute {

Status EvaluateAddition(Engine* engine, uint32_t digits, uint64_t count, uint64_t seed,
                        Evaluation* out) {
  std::vector<AdditionProblem> problems;
  Status s = HeldOutProblems(digits, count, seed, &problems);
  if (!s.ok()) return s;
  std::vector<std::string> prompts;
  for (const AdditionProblem& p : problems) prompts.push_back(p.prompt);
  std::vector<std::string> answers;
  s = engine->Generate(prompts, MaxAnswerTokens(digits), &answers);
  if (!s.ok()) return s;
  Evaluation evaluation;
  evaluation.problems = problems.size();
  for (size_t i = 0; i < problems.size(); ++i)
    evaluation.correct += problems[i].IsCorrect(answers[i]);
  *out = evaluation;
  return Status::OK();
}

}  // namespace cc::compute
