// The built-in offline provider (the default): deterministic statistics, no network. Its scoring
// models are documented in docs/ai.md ("The offline provider"); the unit tests pin their answers.
#pragma once

#include <memory>

#include "ai/provider.hpp"

namespace loyalty::detail::ai {

/// The model name recorded with the offline provider's results.
inline constexpr const char* kOfflineModel = "offline-v1";

class OfflineProvider final : public Provider {
 public:
  std::string kind() const override { return "offline"; }
  std::string model() const override { return kOfflineModel; }
  /// Stateless and thread-safe. Malformed input (a wrong type, a missing field) is
  /// Status::invalid.
  nlohmann::json run(Operation op, const nlohmann::json& input) override;
};

/// The process-wide offline provider.
std::shared_ptr<Provider> offline_provider();

/// The churn model on one customer's churn input (docs/ai.md): risk in [0, 1].
double churn_risk(const nlohmann::json& customer, double monetary_median);

}  // namespace loyalty::detail::ai
