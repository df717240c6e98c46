// The C++ scenario driver: runs the shared behaviour-as-data files (tests/scenarios/**/*.json)
// against a fresh in-memory engine on a pinned clock. The format is specified in README.md beside
// this file; the Python and Node suites implement the same rules.
//
// Usage: loyalty_scenarios [-v] [PATH...]   (PATH: a .json file or a folder, searched recursively;
//        default: the source tree's tests/scenarios)
// Exit: 0 all passed, 1 something failed, 77 everything skipped.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "loyalty/core/engine.hpp"

#ifndef LOY_SCENARIO_DIR
#define LOY_SCENARIO_DIR "."
#endif

namespace {

namespace fs = std::filesystem;
using loyalty::json;

constexpr const char* kAdminKey = "scenario-admin-credential-0123456789";

/// A problem with the scenario file itself, or a failed step; `what()` is the report.
struct StepFailure {
  std::string step;    // "setup", "3 (ledger.earn: note)", "verify"
  std::string report;  // the lines to print under the step
};

std::string show(const json& j) { return j.dump(); }

/// Pretty JSON indented to sit under a report line.
std::string block(const json& j) {
  std::string out;
  for (char c : j.dump(2)) {
    out.push_back(c);
    if (c == '\n') out += "    ";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Durations, times and paths

loyalty::Timestamp parse_duration(const std::string& text) {
  static const std::regex term(R"((\d+)(ms|d|h|m|s))");
  if (text.empty()) throw std::runtime_error("empty duration");
  loyalty::Timestamp total = 0;
  auto it = std::sregex_iterator(text.begin(), text.end(), term);
  size_t consumed = 0;
  for (; it != std::sregex_iterator(); ++it) {
    if (static_cast<size_t>(it->position()) != consumed) break;
    const int64_t n = std::stoll((*it)[1].str());
    const std::string unit = (*it)[2].str();
    const int64_t scale = unit == "d"   ? loyalty::kMillisPerDay
                          : unit == "h" ? 3'600'000
                          : unit == "m" ? 60'000
                          : unit == "s" ? 1'000
                                        : 1;
    total += n * scale;
    consumed += static_cast<size_t>(it->length());
  }
  if (consumed != text.size()) throw std::runtime_error("malformed duration '" + text + "' (use e.g. 30d, 1h30m, 5s)");
  return total;
}

loyalty::Timestamp parse_time_or_throw(const json& j, const std::string& what) {
  if (!j.is_string()) throw std::runtime_error(what + " must be an RFC 3339 string");
  auto t = loyalty::parse_time(j.get<std::string>());
  if (!t) throw std::runtime_error(what + ": malformed time " + show(j));
  return *t;
}

/// Resolves a dot path ("entry.id", "results.0.ok"; "" is the whole value).
const json* resolve_path(const json& root, const std::string& path) {
  const json* cur = &root;
  if (path.empty()) return cur;
  std::stringstream ss(path);
  std::string seg;
  while (std::getline(ss, seg, '.')) {
    if (cur->is_object()) {
      auto it = cur->find(seg);
      if (it == cur->end()) return nullptr;
      cur = &*it;
    } else if (cur->is_array()) {
      if (seg.empty() || !std::all_of(seg.begin(), seg.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return nullptr;
      const size_t n = std::stoul(seg);
      if (n >= cur->size()) return nullptr;
      cur = &(*cur)[n];
    } else {
      return nullptr;
    }
  }
  return cur;
}

void require_keys(const json& obj, const std::set<std::string>& allowed, const std::string& where) {
  if (!obj.is_object()) throw std::runtime_error(where + " must be an object");
  for (const auto& [k, v] : obj.items())
    if (!allowed.count(k)) throw std::runtime_error(where + ": unknown key '" + k + "'");
}

bool valid_var_name(const std::string& name) {
  static const std::regex re(R"([A-Za-z0-9_.]+)");
  return std::regex_match(name, re);
}

// ---------------------------------------------------------------------------------------------
// Matching (README "Matching")

/// Deep equality: same JSON type; numbers by value; a boolean never equals a number.
bool deep_equal(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return a == b;
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!deep_equal(a[i], b[i])) return false;
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (const auto& [k, v] : a.items()) {
      auto it = b.find(k);
      if (it == b.end() || !deep_equal(v, *it)) return false;
    }
    return true;
  }
  return a == b;
}

const std::set<std::string> kOperators = {"$any", "$absent", "$len", "$contains", "$exact", "$ne"};

bool is_operator(const json& e) { return e.is_object() && e.size() == 1 && kOperators.count(e.begin().key()) > 0; }

bool is_absent(const json& e) { return is_operator(e) && e.begin().key() == "$absent"; }

struct Mismatch {
  std::string path;
  std::string expected;
  std::string actual;
};

std::string at(const std::string& path) { return path.empty() ? "(result)" : path; }

void match(const json& expected, const json& actual, const std::string& path, std::vector<Mismatch>& out) {
  if (is_operator(expected)) {
    const std::string op = expected.begin().key();
    const json& arg = expected.begin().value();
    if (op == "$any") return;
    if (op == "$absent") {
      out.push_back({at(path), "$absent only inside an object", show(actual)});
    } else if (op == "$len") {
      if (!actual.is_array() || !arg.is_number_integer() || actual.size() != arg.get<size_t>())
        out.push_back({at(path), "an array of length " + show(arg),
                       actual.is_array() ? "length " + std::to_string(actual.size()) : show(actual)});
    } else if (op == "$contains") {
      if (!actual.is_array() || !arg.is_array()) {
        out.push_back({at(path), "an array containing " + show(arg), show(actual)});
        return;
      }
      for (const auto& m : arg) {
        const bool found = std::any_of(actual.begin(), actual.end(), [&](const json& el) {
          std::vector<Mismatch> ignored;
          match(m, el, path, ignored);
          return ignored.empty();
        });
        if (!found) out.push_back({at(path), "an element matching " + show(m), show(actual)});
      }
    } else if (op == "$exact") {
      if (!deep_equal(arg, actual)) out.push_back({at(path), "exactly " + show(arg), show(actual)});
    } else if (op == "$ne") {
      if (deep_equal(arg, actual)) out.push_back({at(path), "anything but " + show(arg), show(actual)});
    }
    return;
  }
  if (expected.is_object()) {
    if (!actual.is_object()) {
      out.push_back({at(path), "an object", show(actual)});
      return;
    }
    for (const auto& [k, e] : expected.items()) {
      const std::string p = path.empty() ? k : path + "." + k;
      auto it = actual.find(k);
      if (is_absent(e)) {
        if (it != actual.end()) out.push_back({p, "absent", show(*it)});
      } else if (it == actual.end()) {
        out.push_back({p, show(e), "(missing)"});
      } else {
        match(e, *it, p, out);
      }
    }
    return;
  }
  if (expected.is_array()) {
    if (!actual.is_array()) {
      out.push_back({at(path), "an array", show(actual)});
      return;
    }
    if (expected.size() != actual.size()) {
      out.push_back({at(path), "an array of length " + std::to_string(expected.size()),
                     "length " + std::to_string(actual.size())});
      return;
    }
    for (size_t i = 0; i < expected.size(); ++i)
      match(expected[i], actual[i], path + "[" + std::to_string(i) + "]", out);
    return;
  }
  if (!deep_equal(expected, actual)) out.push_back({at(path), show(expected), show(actual)});
}

std::string format_mismatches(const std::vector<Mismatch>& ms) {
  std::string s;
  for (const auto& m : ms) s += "    " + m.path + ": expected " + m.expected + ", got " + m.actual + "\n";
  return s;
}

// ---------------------------------------------------------------------------------------------
// One scenario

class Runner {
 public:
  Runner(const json& scenario, bool verbose) : s_(scenario), verbose_(verbose) {}

  /// Runs the scenario; throws StepFailure.
  void run() {
    require_keys(s_, {"name", "description", "now", "setup", "steps", "verify", "skip"}, "scenario");
    clock_ = std::make_shared<loyalty::ManualClock>(parse_time_or_throw(s_.value("now", json()), "now"));
    const json& steps = s_.at("steps");
    if (!steps.is_array() || steps.empty()) throw std::runtime_error("steps must be a non-empty array");
    setup();
    for (size_t n = 0; n < steps.size(); ++n) step(n, steps[n]);
    if (s_.value("verify", true)) verify();
  }

 private:
  void bind(const std::string& name, const json& value, bool from_setup) {
    if (!valid_var_name(name)) throw std::runtime_error("bad variable name '" + name + "'");
    if (from_setup && vars_.count(name)) throw std::runtime_error("variable '" + name + "' is bound twice in setup");
    vars_[name] = value;
  }

  void add_session(const std::string& name, loyalty::Session s) {
    if (name == "admin" || sessions_.count(name)) throw std::runtime_error("session name '" + name + "' is taken");
    sessions_.emplace(name, std::move(s));
  }

  void setup() {
    engine_ = std::make_unique<loyalty::Engine>(loyalty::Engine::open([&] {
      loyalty::EngineOptions o;
      o.storage.uri = ":memory:";
      o.clock = clock_;
      o.admin_key = kAdminKey;
      return o;
    }()));
    admin_ = std::make_unique<loyalty::Admin>(engine_->admin(kAdminKey));
    json setup = s_.value("setup", json::object());
    require_keys(setup, {"tenants"}, "setup");
    const json tenants = setup.value("tenants", json::array({{{"name", "main"}}}));
    if (!tenants.is_array()) throw std::runtime_error("setup.tenants must be an array");
    try {
      for (const auto& t : tenants) setup_tenant(t);
    } catch (const loyalty::Error& e) {
      throw StepFailure{"setup", "    " + show(loyalty::error_json(e)) + "\n"};
    }
  }

  void setup_tenant(const json& t) {
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string())
      throw std::runtime_error("each setup tenant needs a string name");
    const std::string name = t["name"];
    json create = t;
    for (const char* k : {"programs", "customers", "keys"}) create.erase(k);
    const json created = admin_->call("tenant.create", create);
    add_session(name, engine_->session(created["api_key"]["key"].get<std::string>()));
    tenant_order_.push_back(name);
    bind(name + ".tenant_id", created["tenant"]["id"], true);
    const loyalty::Session& session = sessions_.at(name);
    for (const auto& p : t.value("programs", json::array({json::object()}))) {
      json in = {{"name", "Main"}, {"currency", "EUR"}};
      for (const auto& [k, v] : p.items())
        if (k != "as") in[k] = v;
      const json program = session.call("program.create", in);
      if (p.contains("as")) bind(p["as"].get<std::string>(), program["id"], true);
    }
    for (const auto& c : t.value("customers", json::array())) {
      const json customer = session.call("customer.enroll", {{"external_id", c}});
      bind(c.get<std::string>(), customer["id"], true);
    }
    for (const auto& k : t.value("keys", json::array())) {
      require_keys(k, {"session", "scopes"}, "setup key");
      const json key = session.call("apikey.create", {{"name", k.at("session")}, {"scopes", k.at("scopes")}});
      add_session(k.at("session").get<std::string>(), engine_->session(key["key"].get<std::string>()));
    }
  }

  json substitute(const json& j) const {
    if (j.is_string()) {
      const auto& s = j.get_ref<const std::string&>();
      if (s.size() >= 2 && s[0] == '$' && s[1] == '$') return json(s.substr(1));
      if (!s.empty() && s[0] == '$') {
        auto it = vars_.find(s.substr(1));
        if (it == vars_.end()) throw std::runtime_error("unbound variable " + s);
        return it->second;
      }
      return j;
    }
    if (j.is_object()) {  // keys are never substituted
      json out = json::object();
      for (const auto& [k, v] : j.items()) out[k] = substitute(v);
      return out;
    }
    if (j.is_array()) {
      json out = json::array();
      for (const auto& v : j) out.push_back(substitute(v));
      return out;
    }
    return j;
  }

  void step(size_t n, const json& st) {
    std::string label = std::to_string(n);
    if (st.is_object() && st.contains("op")) label += " (" + st["op"].get<std::string>();
    if (st.is_object() && st.contains("note"))
      label += (st.contains("op") ? ": " : " (") + st["note"].get<std::string>();
    if (st.is_object() && (st.contains("op") || st.contains("note"))) label += ")";
    try {
      run_step(st, label);
    } catch (const StepFailure&) {
      throw;
    } catch (const std::exception& e) {
      throw StepFailure{label, std::string("    ") + e.what() + "\n"};
    }
  }

  void run_step(const json& st, const std::string& label) {
    require_keys(st, {"note", "at", "advance", "op", "session", "input", "expect", "error", "capture"}, "step");
    if (st.contains("at")) clock_->set(parse_time_or_throw(st["at"], "at"));
    if (st.contains("advance")) clock_->advance(parse_duration(st["advance"].get<std::string>()));
    if (!st.contains("op")) {
      for (const char* k : {"session", "input", "expect", "error", "capture"})
        if (st.contains(k)) throw std::runtime_error(std::string("'") + k + "' needs an 'op'");
      return;
    }
    if (st.contains("error") && (st.contains("expect") || st.contains("capture")))
      throw std::runtime_error("'error' cannot be combined with 'expect' or 'capture'");
    const std::string op = st["op"];
    const std::string session = st.value("session", tenant_order_.empty() ? std::string("admin") : tenant_order_[0]);
    const json input = substitute(st.value("input", json::object()));
    if (!input.is_object()) throw std::runtime_error("input must be an object");

    std::optional<json> result;
    std::optional<loyalty::Error> error;
    try {
      if (session == "admin") {
        result = admin_->call(op, input);
      } else {
        auto it = sessions_.find(session);
        if (it == sessions_.end()) throw std::runtime_error("unknown session '" + session + "'");
        result = it->second.call(op, input);
      }
    } catch (const loyalty::Error& e) {
      error = e;
    }
    if (verbose_) {
      std::cout << "  step " << label << " at " << loyalty::format_time(clock_->now()) << "\n    input: " << show(input)
                << "\n    " << (result ? "result: " + show(*result) : "error: " + show(loyalty::error_json(*error)))
                << "\n";
    }

    if (st.contains("error")) {
      const json want = substitute(st["error"]);
      require_keys(want, {"status", "field", "detail"}, "error");
      if (!want.contains("status")) throw std::runtime_error("error needs a status");
      if (result)
        throw StepFailure{label, "    expected error " + show(want) +
                                     ", but the call succeeded\n    result: " + show(*result) + "\n"};
      const json got = {{"status", loyalty::status_name(error->status())},
                        {"field", error->field().empty() ? json(nullptr) : json(error->field())},
                        {"detail", error->detail()}};
      std::vector<Mismatch> ms;
      match(want, got, "error", ms);
      if (!ms.empty())
        throw StepFailure{label, "    the error does not match:\n" + format_mismatches(ms) +
                                     "    actual error: " + show(loyalty::error_json(*error)) + "\n"};
      return;
    }
    if (error) throw StepFailure{label, "    unexpected error: " + show(loyalty::error_json(*error)) + "\n"};
    if (st.contains("expect")) {
      std::vector<Mismatch> ms;
      match(substitute(st["expect"]), *result, "", ms);
      if (!ms.empty())
        throw StepFailure{label, "    the result does not match:\n" + format_mismatches(ms) +
                                     "    actual result: " + block(*result) + "\n"};
    }
    if (st.contains("capture")) {
      if (!st["capture"].is_object()) throw std::runtime_error("capture must be an object");
      for (const auto& [var, path] : st["capture"].items()) {
        const json* v = resolve_path(*result, path.get<std::string>());
        if (!v)
          throw StepFailure{label, "    capture " + var + ": no value at path '" + path.get<std::string>() +
                                       "'\n    actual result: " + block(*result) + "\n"};
        bind(var, *v, false);
      }
    }
  }

  void verify() {
    for (const auto& name : tenant_order_) {
      json r;
      try {
        r = sessions_.at(name).call("ledger.verify", json::object());
      } catch (const loyalty::Error& e) {
        throw StepFailure{"verify", "    tenant " + name + ": " + show(loyalty::error_json(e)) + "\n"};
      }
      if (r.value("ok", false) != true)
        throw StepFailure{"verify", "    tenant " + name + ": ledger invariants violated:\n" + block(r) + "\n"};
    }
  }

  const json& s_;
  bool verbose_;
  std::shared_ptr<loyalty::ManualClock> clock_;
  std::unique_ptr<loyalty::Engine> engine_;
  std::unique_ptr<loyalty::Admin> admin_;
  std::map<std::string, loyalty::Session> sessions_;
  std::vector<std::string> tenant_order_;
  std::map<std::string, json> vars_;
};

enum class Verdict { pass, fail, skip };

Verdict run_file(const fs::path& file, const fs::path& root, bool verbose) {
  std::string rel = file.lexically_relative(root).generic_string();
  if (rel.empty() || rel.rfind("..", 0) == 0) rel = file.generic_string();
  json scenario;
  try {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("cannot open the file");
    scenario = json::parse(in);
  } catch (const std::exception& e) {
    std::cout << "FAIL " << rel << "\n  " << e.what() << "\n";
    return Verdict::fail;
  }
  const std::string name = scenario.is_object() ? scenario.value("name", std::string("(no name)")) : "(not an object)";
  if (scenario.is_object() && scenario.contains("skip")) {
    std::cout << "SKIP " << rel << ": " << name << " (" << scenario["skip"].get<std::string>() << ")\n";
    return Verdict::skip;
  }
  if (verbose) std::cout << "RUN  " << rel << ": " << name << "\n";
  try {
    if (!scenario.is_object() || !scenario.contains("name") || !scenario.contains("description"))
      throw std::runtime_error("a scenario needs a name and a description");
    Runner(scenario, verbose).run();
  } catch (const StepFailure& f) {
    std::cout << "FAIL " << rel << ": " << name << "\n  step " << f.step << "\n" << f.report;
    return Verdict::fail;
  } catch (const std::exception& e) {
    std::cout << "FAIL " << rel << ": " << name << "\n  " << e.what() << "\n";
    return Verdict::fail;
  }
  std::cout << "PASS " << rel << ": " << name << "\n";
  return Verdict::pass;
}

}  // namespace

int main(int argc, char** argv) {
  bool verbose = false;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-v" || a == "--verbose")
      verbose = true;
    else if (a == "-h" || a == "--help") {
      std::cout << "usage: loyalty_scenarios [-v] [FILE.json | DIR]...\n";
      return 0;
    } else {
      inputs.emplace_back(a);
    }
  }
  const fs::path root = fs::path(LOY_SCENARIO_DIR);
  if (inputs.empty()) inputs.push_back(root);
  std::vector<fs::path> files;
  for (const auto& p : inputs) {
    if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
    } else {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  int passed = 0, failed = 0, skipped = 0;
  for (const auto& f : files) {
    switch (run_file(f, root, verbose)) {
      case Verdict::pass:
        ++passed;
        break;
      case Verdict::fail:
        ++failed;
        break;
      case Verdict::skip:
        ++skipped;
        break;
    }
  }
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  if (failed > 0 || files.empty()) return 1;
  return passed == 0 && skipped > 0 ? 77 : 0;
}
