// Shared by the three formats of serial.h: walking a db's datoms, schemas
// with fixed attribute ids, DataScript schema maps, building the loaded db
// and checking it. Internal to src/serial.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/value.h"
#include "db/datom.h"
#include "db/db.h"
#include "db/schema.h"

namespace datalite::serial::detail {

[[noreturn]] void invalid(const std::string& what);

// Calls f(const KeyParts&) for every datom the db's view shows, in EAVT
// order (the value still encoded). History views hold retractions, not a
// state: refused.
template <class F>
void forEachDatom(const Db& db, F&& f) {
  if (db.isHistory()) invalid("cannot serialize a history view; serialize a current, asOf or since view");
  for (Db::Cursor c = db.seek(IndexOrder::EAVT); c.valid(); c.next()) f(c.parts());
}

// The attributes after the built-in ones, in id order.
std::vector<const Attribute*> userAttributes(const Schema& schema);

// A schema whose attribute ids after the built-in ones follow `order`, then
// the remaining keys of `schemaMap` (a datalite schema map, keyword keys) in
// map order; definitions come from `schemaMap`. Attributes of `order` not in
// the map stay undeclared (schemaless).
std::shared_ptr<const Schema> buildSchema(const std::vector<Keyword>& order, const Value& schemaMap);

// DataScript's schema map as a datalite schema map: string keys ("name",
// ":name") become keywords, :db/tupleAttrs strings become keywords, and
// properties DataScript accepts but datalite does not know are dropped
// (DataScript ignores them too).
Value schemaFromDataScript(const Value& dataScriptSchema);

// "name" and ":name" both name the attribute :name.
Keyword attributeFromName(std::string_view name, const std::string& where);

// Builds the loaded db (values coerced by the schema as in Db::init) and
// checks cardinality-one and uniqueness. maxEid/maxTx are raised to what
// the datoms need; `exactCounters` rejects counters below that instead.
Db build(std::vector<Db::InitDatom> datoms, std::shared_ptr<const Schema> schema, bool keepHistory, int64_t maxEid,
         int64_t maxTx, bool exactCounters);

// Runs `load`; DataliteErrors other than LimitExceeded (and ParseError when
// `keepParseErrors`) become InvalidInput prefixed with `context`, so every
// loader reports malformed input with one code.
template <class F>
Db guardLoad(std::string_view context, bool keepParseErrors, F&& load) {
  try {
    return load();
  } catch (const DataliteError& e) {
    if (e.code() == ErrorCode::LimitExceeded || (keepParseErrors && e.code() == ErrorCode::ParseError)) throw;
    if (e.code() == ErrorCode::InvalidInput && std::string_view(e.what()).substr(0, context.size()) == context) throw;
    raise(ErrorCode::InvalidInput, std::string(context) + ": " + e.what());
  }
}

}  // namespace datalite::serial::detail
