// Store: where stored databases keep their immutable, content-addressed
// B-tree nodes and their one mutable root record (docs/adr/0009-storage.md).
//
// The contract every backend keeps (memory here; Node files, IndexedDB and
// sqlite-wasm in js/stores/ behind the same calls):
//   - put(addr, bytes): stores a node; putting a present address is a no-op.
//   - writeRoot(bytes): records the new root. It becomes durable, and what a
//     reopened store's readRoot() returns, at the next sync().
//   - sync(): makes every put so far and the last root durable, nodes before
//     the root: a crash at any moment leaves the old root or the new one,
//     each with all of its nodes.
//   - get/list/del: reads and garbage collection.
// Failures throw DataliteError(store-error).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "index/btree.h"

namespace datalite::store {

using index::NodeAddress;
using index::NodeAddressHash;
using index::NodeAddressSet;

class Store {
 public:
  virtual ~Store() = default;
  virtual std::optional<std::string> get(const NodeAddress& addr) = 0;
  virtual void put(const NodeAddress& addr, std::string_view bytes) = 0;
  virtual void del(std::span<const NodeAddress> addrs) = 0;
  virtual std::vector<NodeAddress> list() = 0;
  virtual std::optional<std::string> readRoot() = 0;
  virtual void writeRoot(std::string_view bytes) = 0;
  virtual void sync() = 0;
};

// Nodes in a hash map. Counts every operation (tests prove lazy loading and
// measure write amplification with it) and can show what a crash would
// leave: crashImage() holds only what the last sync() made durable.
class MemoryStore : public Store {
 public:
  std::optional<std::string> get(const NodeAddress& addr) override;
  void put(const NodeAddress& addr, std::string_view bytes) override;
  void del(std::span<const NodeAddress> addrs) override;
  std::vector<NodeAddress> list() override;
  std::optional<std::string> readRoot() override;
  void writeRoot(std::string_view bytes) override;
  void sync() override;

  struct Counters {
    uint64_t gets = 0, puts = 0, putBytes = 0, rootWrites = 0, rootBytes = 0, syncs = 0, dels = 0;
  };
  Counters counters() const;
  void resetCounters();
  size_t nodeCount() const;
  size_t storedBytes() const;
  // A new store with the durable state only (what a crash now would leave).
  std::shared_ptr<MemoryStore> crashImage() const;
  // Test hook: overwrite a stored node's bytes (corruption).
  void corrupt(const NodeAddress& addr, std::string bytes);

 private:
  mutable std::mutex mu_;
  std::unordered_map<NodeAddress, std::string, NodeAddressHash> nodes_;
  std::vector<NodeAddress> unsynced_;  // puts since the last sync
  std::optional<std::string> root_, durableRoot_;
  Counters counters_;
};

}  // namespace datalite::store
