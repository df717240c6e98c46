// A scripted HTTP/1.1 server on 127.0.0.1 for tests of HTTP clients (the OpenAI-compatible AI
// provider): it binds port 0, answers each request with the next scripted response (status,
// headers, body, delay, trickle, never answer, drop), records every request, and stops in its
// destructor. One thread accepts; each connection gets its own thread; one request per connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace loytest {

struct ScriptedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int64_t delay_ms = 0;       ///< wait before sending anything
  int64_t trickle_ms = 0;     ///< >0: send the response (head and body) one byte per trickle_ms
  bool never_answer = false;  ///< read the request, then send nothing until the client hangs up
  bool drop = false;          ///< read the request, then close the connection without an answer
};

struct RecordedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  ///< names lowercased
  std::string body;
  int64_t received_ms = 0;  ///< steady-clock milliseconds when the request was complete
};

class ScriptServer {
 public:
  ScriptServer();
  ~ScriptServer();
  ScriptServer(const ScriptServer&) = delete;
  ScriptServer& operator=(const ScriptServer&) = delete;

  /// Appends a response to the script. When the script runs out the server answers 599.
  void push(ScriptedResponse r);
  /// "http://127.0.0.1:<port>"
  std::string url() const;
  uint16_t port() const { return port_; }
  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;

 private:
  void accept_loop();
  void serve(int fd);

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::deque<ScriptedResponse> script_;
  std::vector<RecordedRequest> requests_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

/// A 200 response carrying a chat completion whose message content is `content`.
ScriptedResponse chat_completion(const std::string& content);

/// A valid `ai.feedback` output (one positive item about the staff) whose item scores `score`.
nlohmann::json feedback_output(double score);

}  // namespace loytest
