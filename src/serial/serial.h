// Serialization of database values: the current state of a Db (schema,
// every current datom with its tx, maxEid, maxTx, keepHistory) in three
// forms. History is not part of any of them: a loaded db starts with the
// current datoms only. Formats and decisions: docs/adr/0008-serialization.md.
//
// Loading never trusts its input: malformed data raises DataliteError
// (InvalidInput naming what is wrong; LimitExceeded for oversized input;
// ParseError for EDN syntax), never crashes. Loaded dbs keep the attribute
// ids, entity ids and tx ids of the serialized one, so datoms iterate in the
// same order and later transactions continue from the same maxEid/maxTx.
//
// A view (asOf/since) serializes the datoms it shows; history views are
// refused (InvalidInput).
#pragma once

#include <string>
#include <string_view>

#include "db/db.h"

namespace datalite::serial {

// Compact binary snapshot: versioned, checksummed (CRC-32).
std::string serializeDb(const Db& db);

// A schema's attribute table alone (the snapshot's encoding), for stores:
// attribute ids are kept. decodeSchema throws invalid-input on bad bytes.
std::string encodeSchema(const Schema& schema);
std::shared_ptr<const Schema> decodeSchema(std::string_view bytes);
// Corrupt, truncated or wrong-version input -> InvalidInput.
Db deserializeDb(std::string_view bytes);

// The JSON text of DataScript's `serializable` shape (datascript 1.8.1:
// JSON.stringify(d.serializable(db))), loadable by
// d.from_serializable(JSON.parse(text)); plus a "datalite" member that
// DataScript ignores and that makes the round trip here exact.
std::string toSerializableJson(const Db& db);
// Accepts that JSON from DataScript or from toSerializableJson. Bad JSON or
// a bad shape -> InvalidInput naming the problem.
Db fromSerializableJson(std::string_view json);

// A readable EDN dump: #datalite/db {:schema {...} :datoms [[e :a v tx] ...] ...}.
std::string toEdnDump(const Db& db);
// Also reads DataScript's printed form #datascript/DB {:schema .. :datoms [[e a v tx] ...]}.
Db fromEdnDump(std::string_view text);

}  // namespace datalite::serial
