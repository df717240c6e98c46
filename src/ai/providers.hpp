// Provider selection: the per-tenant provider cache in the engine state, the factory by kind and
// the callback provider (the adapter from a host's HostAiProvider).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ai/provider.hpp"
#include "engine/engine_state.hpp"
#include "loyalty/ai/host_provider.hpp"

namespace loyalty::detail::ai {

/// The engine's AI state: the host provider and the providers built for each tenant (they may
/// hold state, such as the OpenAI-compatible provider's circuit breaker).
struct AiState {
  std::mutex mu;
  std::shared_ptr<const HostAiProvider> host;
  struct Entry {
    std::string fingerprint;  // kind + configuration the provider was built from
    std::shared_ptr<Provider> provider;
  };
  std::unordered_map<std::string, Entry> tenants;
};

AiState& ai_state(EngineState& engine);

/// Builds a provider of `kind` ("offline", "openai") from its configuration (for "openai", the
/// `openai` object of ai.configure, checked by parse_openai_config).
std::shared_ptr<Provider> make_provider(const std::string& kind, const nlohmann::json& config);

/// The provider of a tenant's settings (kind + configuration), cached per tenant; "callback" is
/// the engine's host provider (Status::unavailable when none is registered).
std::shared_ptr<Provider> provider_for(EngineState& engine, const std::string& tenant, const std::string& kind,
                                       const nlohmann::json& config);

/// Adapts a host provider: its exceptions become Status::unavailable (its output is validated by
/// the engine, like every provider's).
class CallbackProvider final : public Provider {
 public:
  explicit CallbackProvider(std::shared_ptr<const HostAiProvider> host) : host_(std::move(host)) {}
  std::string kind() const override { return "callback"; }
  std::string model() const override { return host_->model; }
  nlohmann::json run(Operation op, const nlohmann::json& input) override;

 private:
  std::shared_ptr<const HostAiProvider> host_;
};

}  // namespace loyalty::detail::ai
