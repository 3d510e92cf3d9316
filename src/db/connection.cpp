#include "db/connection.h"

namespace datalite {

Db Connection::db() const {
  std::lock_guard<std::mutex> lock(mu_);
  return db_;
}

TxReport Connection::transact(const std::vector<Value>& txData, const Value& txMeta) {
  std::unique_lock<std::mutex> writing(writeMu_);
  TxOptions options;
  options.txMeta = txMeta;
  options.functions = &functions_;
  TxReport report = db().transact(txData, options);  // readers go on reading meanwhile
  std::vector<Listener> toNotify;
  {
    std::lock_guard<std::mutex> lock(mu_);
    db_ = report.dbAfter;
    for (auto& [token, l] : listeners_) toNotify.push_back(l);
  }
  writing.unlock();  // listeners may transact
  for (auto& l : toNotify) l(report);
  return report;
}

void Connection::reset(Db db) {
  std::lock_guard<std::mutex> writing(writeMu_);
  std::lock_guard<std::mutex> lock(mu_);
  db_ = std::move(db);
}

int Connection::listen(Listener listener) {
  std::lock_guard<std::mutex> lock(mu_);
  int token = nextToken_++;
  listeners_.emplace_back(token, std::move(listener));
  return token;
}

void Connection::unlisten(int token) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(listeners_, [&](const auto& p) { return p.first == token; });
}

void Connection::registerFn(const std::string& name, TxFunction fn) {
  std::lock_guard<std::mutex> writing(writeMu_);
  std::string key = !name.empty() && name[0] == ':' ? name.substr(1) : name;
  functions_[key] = std::move(fn);
}

}  // namespace datalite
