// The validated form of a Datalog query: what the parser produces and the
// planner consumes. Variables are numbered per query (VarId); rule bodies
// have their own numbering, local to the rule.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/value.h"

namespace datalite::query {

using VarId = int32_t;
constexpr VarId kNoVar = -1;  // `_` in a binding position

// A pattern or call argument: a variable, a constant, or `_`.
struct Term {
  enum class Kind : uint8_t { Var, Const, Blank } kind = Kind::Blank;
  VarId var = kNoVar;
  Value constant;

  static Term variable(VarId v) { return Term{Kind::Var, v, Value()}; }
  static Term constantOf(Value c) { return Term{Kind::Const, kNoVar, std::move(c)}; }
  static Term blank() { return Term{}; }
  bool isVar() const { return kind == Kind::Var; }
  bool isConst() const { return kind == Kind::Const; }
  bool isBlank() const { return kind == Kind::Blank; }
};

// How a function result or an input binds variables.
struct Binding {
  enum class Kind : uint8_t { Scalar, Tuple, Collection, Relation, Blank } kind = Kind::Scalar;
  std::vector<VarId> vars;  // Scalar/Collection: one; Tuple/Relation: several (kNoVar for `_`)
};

struct Clause;
using Clauses = std::vector<Clause>;

struct Clause {
  enum class Kind : uint8_t {
    Pattern,    // [$src? e a v tx added]
    Predicate,  // [(f args...)]
    Function,   // [(f args...) binding]
    RuleCall,   // ($src? name args...)
    Not,        // (not ...) / (not-join [vars] ...)
    Or,         // (or ...) / (or-join [vars] ...)
    And,        // (and ...), only inside or
  } kind;
  std::string source = "$";  // data source variable
  // Pattern: up to five terms (e a v tx added); missing ones are blanks.
  std::vector<Term> terms;
  // Predicate / Function / RuleCall: name and arguments (in `terms`).
  std::string name;
  Binding binding;  // Function
  // Not / Or / And
  std::vector<VarId> joinVars;      // not-join / or-join (all for plain not/or: computed)
  std::vector<VarId> requiredVars;  // or-join [[?a] ?b]
  bool explicitJoin = false;        // not-join / or-join written
  std::vector<Clauses> branches;    // Or: one per branch; Not/And: exactly one
  Value form;                       // the clause as written, for errors and explain
};

struct Rule {
  std::string name;
  std::vector<VarId> required;  // head vars that must be bound at the call
  std::vector<VarId> free;      // the other head vars, in order
  Clauses body;
  std::vector<std::string> varNames;  // numbering local to the rule
  size_t arity() const { return required.size() + free.size(); }
  // Head variables in call-argument order.
  std::vector<VarId> head() const {
    std::vector<VarId> h = required;
    h.insert(h.end(), free.begin(), free.end());
    return h;
  }
};

struct FindElem {
  enum class Kind : uint8_t { Var, Aggregate, Pull } kind = Kind::Var;
  VarId var = kNoVar;               // the variable (aggregated / pulled)
  std::string fn;                   // aggregate name
  std::vector<Value> constArgs;     // (max 3 ?x): 3
  std::string source = "$";         // pull source
  Value pattern;                    // pull pattern (constant) ...
  VarId patternVar = kNoVar;        // ... or an input variable holding it
};

struct Input {
  enum class Kind : uint8_t { Source, Rules, Binding } kind = Kind::Binding;
  std::string name;  // source symbol ($, $h) for Source
  Binding binding;
};

struct Query {
  enum class Shape : uint8_t { Relation, Collection, Tuple, Scalar } shape = Shape::Relation;
  std::vector<FindElem> find;
  enum class Keys : uint8_t { None, Keys, Strs, Syms } keysKind = Keys::None;
  std::vector<std::string> keys;
  std::vector<VarId> with;
  std::vector<Input> inputs;
  Clauses where;
  std::vector<std::string> varNames;  // VarId -> "?name"
  Value form;
  bool hasAggregates() const {
    for (const auto& f : find)
      if (f.kind == FindElem::Kind::Aggregate) return true;
    return false;
  }
};

struct RuleSet {
  std::vector<Rule> rules;  // several entries may share a name (branches)
  bool has(const std::string& name) const {
    for (const auto& r : rules)
      if (r.name == name) return true;
    return false;
  }
};

}  // namespace datalite::query
