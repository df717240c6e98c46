#include "ai/providers.hpp"

#include <fmt/format.h>

#include "ai/offline.hpp"
#include "ai/openai.hpp"

namespace loyalty::detail::ai {

using nlohmann::json;

AiState& ai_state(EngineState& e) {
  std::call_once(e.ai_once, [&] { e.ai = std::make_shared<AiState>(); });
  return *e.ai;
}

std::shared_ptr<Provider> make_provider(const std::string& kind, const json& config) {
  if (kind == "offline") return offline_provider();
  if (kind == "openai") return make_openai_provider(parse_openai_config(config), &output_schema);
  throw Error(Status::invalid, fmt::format("unknown AI provider kind '{}'", kind), "provider");
}

std::shared_ptr<Provider> provider_for(EngineState& engine, const std::string& tenant, const std::string& kind,
                                       const json& config) {
  AiState& st = ai_state(engine);
  if (kind == "callback") {
    std::shared_ptr<const HostAiProvider> host;
    {
      std::lock_guard lock(st.mu);
      host = st.host;
    }
    if (!host || !host->run)
      throw Error(Status::unavailable, "the tenant uses the host's AI provider, but none is registered", "provider");
    return std::make_shared<CallbackProvider>(std::move(host));
  }
  const std::string fingerprint = kind + "\n" + config.dump();
  {
    std::lock_guard lock(st.mu);
    auto it = st.tenants.find(tenant);
    if (it != st.tenants.end() && it->second.fingerprint == fingerprint) return it->second.provider;
  }
  auto provider = make_provider(kind, config);  // outside the lock: a provider may take time to build
  std::lock_guard lock(st.mu);
  st.tenants[tenant] = {fingerprint, provider};
  return provider;
}

json CallbackProvider::run(Operation op, const json& input) {
  json out;
  try {
    out = host_->run(operation_name(op), input);
  } catch (const Error&) {
    throw;  // the adapter's own verdict (the C adapter: output that is not JSON is invalid)
  } catch (const std::exception& e) {
    throw Error(Status::unavailable, fmt::format("the host AI provider failed: {}", e.what()), "provider");
  } catch (...) {
    throw Error(Status::unavailable, "the host AI provider failed", "provider");
  }
  return out;  // validated by the engine (run_validated), like every provider's output but OpenAI's
}

}  // namespace loyalty::detail::ai

namespace loyalty {

void set_ai_provider(const Engine& engine, std::shared_ptr<const HostAiProvider> provider) {
  auto& st = detail::ai::ai_state(*engine.state());
  std::lock_guard lock(st.mu);
  st.host = std::move(provider);
}

}  // namespace loyalty
