// The Datalog query engine: DataScript's query language over Db values.
//
//   Value result = query::q(edn::readOne("[:find ?e :where [?e :name \"Ivan\"]]"),
//                           {query::QueryArg::database(db)});
//
// Pipeline: parse (parser.h) -> plan and execute over relations (engine.cpp:
// clauses are ordered by estimated cardinality at run time, patterns choose
// the index and bound prefix that scan least, joins are index lookups or hash
// joins, rules run as a fixpoint) -> shape the :find result.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/value.h"
#include "db/db.h"
#include "query/ast.h"

namespace datalite::query {

// One :in argument: a database (for $ sources) or data.
struct QueryArg {
  bool isDb = false;
  Db db;
  Value value;
  static QueryArg database(Db d) {
    QueryArg a;
    a.isDb = true;
    a.db = std::move(d);
    return a;
  }
  static QueryArg data(Value v) {
    QueryArg a;
    a.value = std::move(v);
    return a;
  }
};

using HostFunction = std::function<Value(std::span<const Value> args)>;
using HostAggregate = std::function<Value(std::vector<Value>& values)>;

struct QueryOptions {
  const std::unordered_map<std::string, HostFunction>* functions = nullptr;
  const std::unordered_map<std::string, HostAggregate>* aggregates = nullptr;
  size_t maxRows = 20'000'000;   // intermediate rows (all relations) before limit-exceeded
  size_t maxRuleIterations = 100'000;
};

// A query result in its :find shape.
struct QueryResult {
  Query::Shape shape = Query::Shape::Relation;
  size_t width = 0;              // columns of a row
  std::vector<Value> cells;      // row-major
  Query::Keys keysKind = Query::Keys::None;
  std::vector<std::string> keys;
  size_t rows() const { return width ? cells.size() / width : 0; }
  // DataScript's shapes: relation -> set of vectors (vector of maps with
  // :keys), collection -> vector, tuple -> vector or nil, scalar -> value or nil.
  Value toValue() const;
};

QueryResult execute(const Query& query, std::span<const QueryArg> args, const QueryOptions& options = {});
Value q(const Value& queryForm, std::span<const QueryArg> args, const QueryOptions& options = {});
// The plan chosen for the query, as data: clauses in execution order with
// the strategy, index and row counts.
Value explain(const Value& queryForm, std::span<const QueryArg> args, const QueryOptions& options = {});

}  // namespace datalite::query
