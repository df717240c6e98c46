// Random ids: 128 bits from a per-thread buffer of OpenSSL randomness. Unique across threads, and
// a forked child never hands out the bytes its parent had buffered.
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "crypto/crypto.hpp"
#include "fixture.hpp"

namespace crypto = loyalty::crypto;

TEST_CASE("ids: 200,000 ids from four threads are distinct and well formed") {
  std::vector<std::vector<std::string>> per(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < per.size(); ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 25'000; ++k) {
        per[t].push_back(crypto::new_id("x"));
        per[t].push_back(crypto::new_sortable_id("e", 1'772'366'400'000 + k));
      }
    });
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (const auto& v : per)
    for (const auto& id : v) {
      CHECK(id.size() == 2 + 26);  // prefix, '_', 128 bits in base32
      all.insert(id);
    }
  CHECK(all.size() == 200'000);
  // Sortable ids order by their time first.
  CHECK(crypto::new_sortable_id("e", 1000) < crypto::new_sortable_id("e", 1001));
}

TEST_CASE("ids: a forked child does not repeat the ids its parent makes next") {
  (void)crypto::new_id("warm");  // the parent's buffer now holds bytes for the next ids
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    std::string ids;
    for (int k = 0; k < 100; ++k) ids += crypto::new_id("x") + "\n";
    const ssize_t w = write(fds[1], ids.data(), ids.size());
    _exit(w == static_cast<ssize_t>(ids.size()) ? 0 : 1);
  }
  close(fds[1]);
  std::set<std::string> parent;
  for (int k = 0; k < 100; ++k) parent.insert(crypto::new_id("x"));
  std::string child;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) child.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  size_t lines = 0, shared = 0;
  for (size_t at = 0, nl; (nl = child.find('\n', at)) != std::string::npos; at = nl + 1, ++lines)
    shared += parent.count(child.substr(at, nl - at));
  CHECK(lines == 100);
  CHECK(shared == 0);
}
