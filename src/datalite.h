// datalite: the public C++ API of the engine. The WebAssembly bindings in
// wasm/ wrap exactly this surface.
//
//   datalite::Db db = datalite::Db::empty(datalite::edn::readOne(schemaEdn));
//   datalite::TxReport r = db.transact(datalite::edn::readAll(txEdn));
//   for (const datalite::Datom& d : r.dbAfter.datoms(datalite::IndexOrder::EAVT)) ...
#pragma once

#include "core/error.h"      // DataliteError, ErrorCode
#include "core/value.h"      // Value, Keyword
#include "db/connection.h"   // Connection
#include "db/datom.h"        // Datom, IndexOrder
#include "db/db.h"           // Db, TxReport, TxOptions
#include "db/schema.h"       // Schema, Attribute
#include "edn/edn.h"         // edn::readOne, edn::readAll, edn::print
