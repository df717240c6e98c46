#include "storage/write_queue.hpp"

#include <fmt/format.h>

#include <map>
#include <utility>

#include <sys/stat.h>
#include <unistd.h>

#include "loyalty/core/error.hpp"

namespace loyalty::storage {

namespace {

/// The queues of the files this process has open, by file identity (device and inode, or the
/// path itself when it cannot be examined). Entries of queues nobody holds any more are dropped
/// on the next registration. A forked child starts afresh: it must not share a queue that one
/// of its parent's threads held at the fork and nobody in the child will ever pass on.
struct Registry {
  std::mutex mu;
  pid_t pid = 0;
  std::map<std::string, std::weak_ptr<WriteQueue>> queues;
};

Registry& registry() {
  static Registry r;  // never destroyed before the pools that use it: function-local static
  return r;
}

std::string file_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return fmt::format("{}:{}", st.st_dev, st.st_ino);
  return "path:" + path;
}

}  // namespace

std::shared_ptr<WriteQueue> WriteQueue::for_file(const std::string& path) {
  if (path.empty()) return std::make_shared<WriteQueue>();
  const std::string id = file_identity(path);
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  if (r.pid != ::getpid()) {
    r.queues.clear();
    r.pid = ::getpid();
  }
  for (auto it = r.queues.begin(); it != r.queues.end();) {
    if (it->second.expired())
      it = r.queues.erase(it);
    else
      ++it;
  }
  if (auto q = r.queues[id].lock()) return q;
  auto q = std::make_shared<WriteQueue>();
  r.queues[id] = q;
  return q;
}

bool WriteQueue::acquire(Deadline deadline) {
  std::unique_lock lock(mu_);
  if (!held_ && queue_.empty()) {
    held_ = true;
    return true;
  }
  Waiter me;
  const auto pos = queue_.insert(queue_.end(), &me);
  while (!me.granted) {
    if (me.cv.wait_until(lock, deadline) == std::cv_status::timeout && !me.granted) {
      queue_.erase(pos);  // leave the queue; the holder will hand the turn to the next one
      return false;
    }
  }
  return true;  // release() removed us from the queue and handed us the turn
}

void WriteQueue::release() {
  std::lock_guard lock(mu_);
  if (queue_.empty()) {
    held_ = false;
    return;
  }
  Waiter* next = queue_.front();
  queue_.pop_front();
  next->granted = true;  // the turn passes directly: held_ stays true
  // Notified under the lock: once granted is seen, the waiter's frame (and its cv) may go away.
  next->cv.notify_one();
}

size_t WriteQueue::waiting() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

bool WriteQueue::held() const {
  std::lock_guard lock(mu_);
  return held_;
}

WriteTurn::WriteTurn(WriteQueue& queue, WriteQueue::Deadline deadline, int32_t timeout_ms) {
  if (!queue.acquire(deadline))
    throw Error(Status::busy,
                fmt::format("the database's write queue did not reach this writer within {} ms", timeout_ms));
  queue_ = &queue;
}

void WriteTurn::release() noexcept {
  if (queue_) std::exchange(queue_, nullptr)->release();
}

}  // namespace loyalty::storage
