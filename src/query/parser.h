// Parses queries and rules from their EDN data form into the AST, checking
// their shape. Errors are parse-error DataliteErrors naming the bad form.
#pragma once

#include "core/value.h"
#include "query/ast.h"

namespace datalite::query {

// Vector form [:find ... :in ... :where ...] or map form {:find [...] ...}.
Query parseQuery(const Value& form);
// A vector of rules: [[(name ?a ?b) clause ...] ...].
RuleSet parseRules(const Value& form);

}  // namespace datalite::query
