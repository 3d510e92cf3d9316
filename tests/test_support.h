// Helpers shared by the tests of every layer above edn: EDN input in one
// line and DataliteErrors captured as data.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "edn/edn.h"

namespace datalite::testing {

inline Value read(const std::string& text) { return edn::readOne(text); }
// tx-data written as one EDN vector.
inline std::vector<Value> tx(const std::string& text) { return edn::readOne(text).items(); }

struct Caught {
  std::string code;  // "" when nothing was thrown
  std::string message;
};

// Runs f and reports the DataliteError it threw.
template <class F>
Caught catchError(F&& f) {
  try {
    f();
  } catch (const DataliteError& e) {
    return Caught{std::string(e.codeName()), e.what()};
  }
  return Caught{};
}

}  // namespace datalite::testing
