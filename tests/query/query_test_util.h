// Helpers for the DataScript-conformance query tests: run a query given as
// EDN text and compare printed results (relations sorted, being sets).
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "datalite.h"
#include "query/query.h"

namespace datalite::qtest {

using query::QueryArg;
using query::QueryOptions;

inline Value read(const std::string& text) { return edn::readOne(text); }
inline std::vector<Value> tx(const std::string& text) { return edn::readOne(text).items(); }

inline QueryArg D(const Db& db) { return QueryArg::database(db); }
inline QueryArg V(const std::string& edn) { return QueryArg::data(edn::readOne(edn)); }
inline QueryArg V(Value v) { return QueryArg::data(std::move(v)); }

inline Value Q(const std::string& query, std::vector<QueryArg> args, const QueryOptions& opts = {}) {
  return query::q(edn::readOne(query), args, opts);
}

inline Value sortedItems(const Value& v) {
  std::vector<Value> items = v.items();
  std::sort(items.begin(), items.end(), [](const Value& a, const Value& b) { return compareValues(a, b) < 0; });
  return Value::vector(items);
}

// Printed result; sets (relations) and vectors of maps printed sorted.
inline std::string S(const std::string& query, std::vector<QueryArg> args, const QueryOptions& opts = {}) {
  Value v = Q(query, std::move(args), opts);
  if (v.isSet() || (v.isVector() && v.count() > 0 && v.at(0).isMap())) return edn::print(sortedItems(v));
  return edn::print(v);
}
inline std::string S(const std::string& query, const Db& db, const QueryOptions& opts = {}) {
  return S(query, {D(db)}, opts);
}
// A collection result printed sorted (order within a vector is not defined).
inline std::string C(const std::string& query, std::vector<QueryArg> args, const QueryOptions& opts = {}) {
  Value v = Q(query, std::move(args), opts);
  if (v.isNil()) return "nil";
  return edn::print(sortedItems(v));
}
inline std::string C(const std::string& query, const Db& db) { return C(query, {D(db)}); }

struct Caught {
  bool thrown = false;
  ErrorCode code = ErrorCode::InvalidInput;
  std::string message;
};
template <class F>
Caught catchError(F&& f) {
  try {
    f();
  } catch (const DataliteError& e) {
    return Caught{true, e.code(), e.what()};
  }
  return Caught{};
}
inline Caught E(const std::string& query, std::vector<QueryArg> args, const QueryOptions& opts = {}) {
  return catchError([&] { Q(query, std::move(args), opts); });
}
inline bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// The people db of DataScript's query tests, extended: refs, a unique
// identity attribute, cardinality many, and idents as enum values.
inline Db peopleDb() {
  Db db = Db::empty(edn::readOne(R"({:friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
                                     :email {:db/unique :db.unique/identity}
                                     :alias {:db/cardinality :db.cardinality/many}
                                     :color {:db/valueType :db.type/ref}})"));
  return db.with(edn::readOne(R"([{:db/id 10 :db/ident :red}
                                  {:db/id 11 :db/ident :blue}
                                  {:db/id 1 :name "Ivan" :age 15 :sex :male :email "ivan@x" :alias ["Vanya" "I"] :color :red}
                                  {:db/id 2 :name "Petr" :age 37 :sex :male :friend [1 3] :email "petr@x" :color :blue}
                                  {:db/id 3 :name "Ivan" :age 37 :sex :female :friend 4 :color :red}
                                  {:db/id 4 :name "Oleg" :age 22 :friend 5}
                                  {:db/id 5 :name "Fedor" :age 51}])").items());
}

}  // namespace datalite::qtest
