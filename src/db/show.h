// Short printed forms of values for error messages.
#pragma once

#include <string>

#include "core/value.h"

namespace datalite {

// EDN text of `v`, cut to a readable length for messages.
std::string show(const Value& v);

}  // namespace datalite
