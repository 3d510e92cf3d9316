// datalite: the public C++ API of the engine. The WebAssembly bindings in
// wasm/ wrap exactly this surface.
//
//   datalite::Db db = datalite::Db::empty(datalite::edn::readOne(schemaEdn));
//   datalite::TxReport r = db.transact(datalite::edn::readAll(txEdn));
//   for (const datalite::Datom& d : r.dbAfter.datoms(datalite::IndexOrder::EAVT)) ...
//   datalite::Value rows = datalite::query::q(datalite::edn::readOne("[:find ?e :where [?e :name]]"),
//                                             {datalite::query::QueryArg::database(r.dbAfter)});
#pragma once

#include "core/error.h"      // DataliteError, ErrorCode
#include "core/value.h"      // Value, Keyword
#include "db/connection.h"   // Connection
#include "db/datom.h"        // Datom, IndexOrder
#include "db/db.h"           // Db, TxReport, TxOptions
#include "db/schema.h"       // Schema, Attribute
#include "edn/edn.h"         // edn::readOne, edn::readAll, edn::print
#include "pull/entity.h"     // pull::Entity
#include "pull/pull.h"       // pull::pull, pull::pullMany
#include "query/query.h"     // query::q, query::execute, query::explain
#include "restore/restore.h" // restore::restore
#include "serial/serial.h"   // serializeDb, deserializeDb, JSON and EDN forms
#include "store/stored_database.h"  // store::StoredDatabase, store::MemoryStore
