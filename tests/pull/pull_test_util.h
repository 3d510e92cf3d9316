// Helpers for pull tests: pull results printed as EDN.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "datalite.h"
#include "pull/entity.h"
#include "pull/pull.h"

namespace datalite::pulltest {

inline Value read(const std::string& text) { return edn::readOne(text); }
inline std::vector<Value> tx(const std::string& text) { return edn::readOne(text).items(); }

// (pull db pattern eid), printed.
inline std::string P(const Db& db, const std::string& pattern, const std::string& eid) {
  return edn::print(pull::pull(db, read(pattern), read(eid)));
}

// (pull-many db pattern eids), printed as one vector.
inline std::string PM(const Db& db, const std::string& pattern, const std::string& eids) {
  std::vector<Value> ids = read(eids).items();
  return edn::print(Value::vector(pull::pullMany(db, read(pattern), ids)));
}

struct Caught {
  std::string code;
  std::string message;
};
template <class F>
Caught catchError(F&& f) {
  try {
    f();
  } catch (const DataliteError& e) {
    return Caught{std::string(e.codeName()), e.what()};
  }
  return Caught{};
}

}  // namespace datalite::pulltest
