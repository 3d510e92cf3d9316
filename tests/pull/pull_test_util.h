// Helpers for pull tests: pull results printed as EDN.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "datalite.h"
#include "pull/entity.h"
#include "pull/pull.h"
#include "test_support.h"

namespace datalite::pulltest {

using testing::Caught;
using testing::catchError;
using testing::read;
using testing::tx;

// (pull db pattern eid), printed.
inline std::string P(const Db& db, const std::string& pattern, const std::string& eid) {
  return edn::print(pull::pull(db, read(pattern), read(eid)));
}

// (pull-many db pattern eids), printed as one vector.
inline std::string PM(const Db& db, const std::string& pattern, const std::string& eids) {
  std::vector<Value> ids = read(eids).items();
  return edn::print(Value::vector(pull::pullMany(db, read(pattern), ids)));
}

}  // namespace datalite::pulltest
