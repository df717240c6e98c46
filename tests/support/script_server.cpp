#include "script_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace loytest {

namespace {

int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool send_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

ScriptServer::ScriptServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd_ < 0) throw std::runtime_error("script server: socket failed");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("script server: bind/listen failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

ScriptServer::~ScriptServer() {
  stop_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  ::close(listen_fd_);
}

void ScriptServer::push(ScriptedResponse r) {
  std::lock_guard lock(mu_);
  script_.push_back(std::move(r));
}

std::string ScriptServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::vector<RecordedRequest> ScriptServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

size_t ScriptServer::request_count() const {
  std::lock_guard lock(mu_);
  return requests_.size();
}

void ScriptServer::accept_loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard lock(mu_);
    workers_.emplace_back([this, fd] {
      serve(fd);
      ::close(fd);
    });
  }
}

void ScriptServer::serve(int fd) {
  // Waits up to `ms` (in slices, so stop_ is honoured); false when the client hung up or we stop.
  auto wait = [&](int64_t ms) {
    const int64_t until = steady_ms() + ms;
    while (!stop_) {
      const int64_t left = until - steady_ms();
      if (left <= 0) return true;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 20))) > 0) {
        char c;
        if (::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) return false;  // closed by the client
      }
    }
    return false;
  };

  // Read the request: head, then Content-Length bytes of body.
  std::string data;
  size_t head_end = std::string::npos;
  size_t content_length = 0;
  RecordedRequest req;
  while (!stop_) {
    if (head_end != std::string::npos && data.size() >= head_end + 4 + content_length) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    char buf[8192];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    data.append(buf, static_cast<size_t>(n));
    if (head_end == std::string::npos && (head_end = data.find("\r\n\r\n")) != std::string::npos) {
      const std::string head = data.substr(0, head_end);
      size_t pos = head.find("\r\n");
      const std::string line = head.substr(0, pos);
      const size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
      req.method = line.substr(0, sp1);
      req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      while (pos != std::string::npos && pos < head.size()) {
        const size_t next = head.find("\r\n", pos + 2);
        const std::string h = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        if (auto colon = h.find(':'); colon != std::string::npos)
          req.headers[lower(trim(h.substr(0, colon)))] = trim(h.substr(colon + 1));
        pos = next;
      }
      if (auto it = req.headers.find("content-length"); it != req.headers.end())
        content_length = std::stoul(it->second);
      if (auto it = req.headers.find("expect"); it != req.headers.end() && lower(it->second) == "100-continue")
        send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n");
    }
  }
  if (stop_) return;
  req.body = data.substr(head_end + 4, content_length);
  req.received_ms = steady_ms();
  ScriptedResponse r;
  {
    std::lock_guard lock(mu_);
    requests_.push_back(req);
    if (script_.empty()) {
      r.status = 599;
      r.body = R"({"error":{"message":"the script ran out"}})";
    } else {
      r = std::move(script_.front());
      script_.pop_front();
    }
  }
  if (r.drop) return;
  if (r.never_answer) {
    wait(24 * 3600 * 1000);
    return;
  }
  if (r.delay_ms > 0 && !wait(r.delay_ms)) return;
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
  bool has_type = false;
  for (const auto& [k, v] : r.headers) {
    head += k + ": " + v + "\r\n";
    has_type = has_type || lower(k) == "content-type";
  }
  if (!has_type) head += "Content-Type: application/json\r\n";
  head += "Content-Length: " + std::to_string(r.body.size()) + "\r\nConnection: close\r\n\r\n";
  if (r.trickle_ms <= 0) {
    send_all(fd, head + r.body);
    return;
  }
  for (char c : head + r.body) {
    if (!wait(r.trickle_ms)) return;
    if (!send_all(fd, std::string(1, c))) return;
  }
}

ScriptedResponse chat_completion(const std::string& content) {
  const nlohmann::json body = {
      {"id", "chatcmpl-test"},
      {"object", "chat.completion"},
      {"model", "test-model"},
      {"choices",
       nlohmann::json::array(
           {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}})},
  };
  ScriptedResponse r;
  r.body = body.dump();
  return r;
}

nlohmann::json feedback_output(double score) {
  return {{"items", {{{"id", "text"}, {"sentiment", "positive"}, {"score", score}, {"themes", {"staff"}}}}},
          {"summary",
           {{"count", 1},
            {"positive", 1},
            {"negative", 0},
            {"neutral", 0},
            {"mixed", 0},
            {"average_score", 0.8},
            {"top_themes", {{{"theme", "staff"}, {"count", 1}}}},
            {"text", "happy with the staff"}}}};
}

}  // namespace loytest
