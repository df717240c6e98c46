// The host's own AI model (the "callback" provider kind; docs/ai.md). A C host registers a
// loy_ai_provider struct (capi/include/loyalty/sys/ai_provider.h), a Python host an object with
// five methods; both end up here.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "loyalty/core/engine.hpp"

namespace loyalty {

/// A host AI provider. `run` receives the operation name ("recommendations", "churn",
/// "segmentation", "feedback", "location_insights") and its documented input, and returns the
/// documented output. It may be called from several threads at once and never inside a database
/// transaction. Any exception it throws means the provider failed (Status::unavailable for the
/// caller); output that breaks the operation's schema is Status::invalid and never stored.
struct HostAiProvider {
  std::string model = "host";
  std::function<json(std::string_view operation, const json& input)> run;
};

/// Registers the engine's host provider, used by the tenants whose provider kind is "callback";
/// nullptr unregisters it (those tenants then get Status::unavailable). Thread-safe; calls
/// already running keep the provider they started with.
void set_ai_provider(const Engine& engine, std::shared_ptr<const HostAiProvider> provider);

}  // namespace loyalty
