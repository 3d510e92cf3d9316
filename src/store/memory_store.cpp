#include <memory>

#include "store/store.h"

namespace datalite::store {

std::optional<std::string> MemoryStore::get(const NodeAddress& addr) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.gets;
  auto it = nodes_.find(addr);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

void MemoryStore::put(const NodeAddress& addr, std::string_view bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.puts;
  counters_.putBytes += bytes.size();
  if (nodes_.emplace(addr, std::string(bytes)).second) unsynced_.push_back(addr);
}

void MemoryStore::del(std::span<const NodeAddress> addrs) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const NodeAddress& a : addrs) counters_.dels += nodes_.erase(a);
}

std::vector<NodeAddress> MemoryStore::list() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<NodeAddress> out;
  out.reserve(nodes_.size());
  for (const auto& [addr, bytes] : nodes_) out.push_back(addr);
  return out;
}

std::optional<std::string> MemoryStore::readRoot() {
  std::lock_guard<std::mutex> lock(mu_);
  return root_;
}

void MemoryStore::writeRoot(std::string_view bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.rootWrites;
  counters_.rootBytes += bytes.size();
  root_ = std::string(bytes);
}

void MemoryStore::sync() {
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.syncs;
  unsynced_.clear();
  durableRoot_ = root_;
}

MemoryStore::Counters MemoryStore::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void MemoryStore::resetCounters() {
  std::lock_guard<std::mutex> lock(mu_);
  counters_ = Counters{};
}

size_t MemoryStore::nodeCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return nodes_.size();
}

size_t MemoryStore::storedBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = root_ ? root_->size() : 0;
  for (const auto& [addr, bytes] : nodes_) n += bytes.size() + addr.bytes.size();
  return n;
}

std::shared_ptr<MemoryStore> MemoryStore::crashImage() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto image = std::make_shared<MemoryStore>();
  image->nodes_ = nodes_;
  for (const NodeAddress& a : unsynced_) image->nodes_.erase(a);
  image->root_ = durableRoot_;
  image->durableRoot_ = durableRoot_;
  return image;
}

void MemoryStore::corrupt(const NodeAddress& addr, std::string bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  nodes_[addr] = std::move(bytes);
}

}  // namespace datalite::store
