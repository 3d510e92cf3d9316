// Connection: a mutable reference to the latest Db value of one database,
// with listeners and registered transaction functions. Single writer;
// readers take db() values and keep them as long as they like.
// Thread safe: transactions run one at a time, and db() returns the
// latest committed value at once, also while a transaction runs.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "db/db.h"

namespace datalite {

class Connection {
 public:
  explicit Connection(Db initial) : db_(std::move(initial)) {}
  static Connection create(const Value& schemaMap = Value(), const DbOptions& options = {}) {
    return Connection(Db::empty(schemaMap, options));
  }

  Db db() const;
  // Atomic: on error nothing changes and the connection stays usable.
  TxReport transact(const std::vector<Value>& txData, const Value& txMeta = Value());
  // Replaces the current value (e.g. after a bulk load); listeners are not called.
  void reset(Db db);

  using Listener = std::function<void(const TxReport&)>;
  // Returns a token for unlisten().
  int listen(Listener listener);
  void unlisten(int token);
  void registerFn(const std::string& name, TxFunction fn);

 private:
  // writeMu_ serialises transactions, reset and registerFn (a transaction
  // reads functions_); mu_ guards only the current value and the
  // listeners, so db() never waits for a running transaction.
  std::mutex writeMu_;
  mutable std::mutex mu_;
  Db db_;
  TxFunctionRegistry functions_;
  std::vector<std::pair<int, Listener>> listeners_;
  int nextToken_ = 1;
};

}  // namespace datalite
