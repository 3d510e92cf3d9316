#include "query/parser.h"

#include <algorithm>
#include <unordered_map>

#include "core/error.h"
#include "edn/edn.h"

namespace datalite::query {

namespace {

std::string shown(const Value& v) {
  std::string s = edn::print(v);
  return s.size() > 200 ? s.substr(0, 200) + "..." : s;
}

[[noreturn]] void fail(const std::string& what, const Value& form) {
  raise(ErrorCode::ParseError, what + ": " + shown(form));
}

bool isSymbolNamed(const Value& v, std::string_view name) { return v.isSymbol() && v.interned().full == name; }
bool isVarSymbol(const Value& v) {
  return v.isSymbol() && v.interned().full.size() > 1 && v.interned().full[0] == '?';
}
bool isSourceSymbol(const Value& v) { return v.isSymbol() && !v.interned().full.empty() && v.interned().full[0] == '$'; }
bool isBlank(const Value& v) { return isSymbolNamed(v, "_"); }
bool isKeywordNamed(const Value& v, std::string_view name) { return v.isKeyword() && v.interned().full == name; }

// Variable numbering for one scope (the query, or one rule).
class Scope {
 public:
  explicit Scope(std::vector<std::string>& names) : names_(names) {}
  VarId var(const Value& sym) {
    const std::string& name = sym.interned().full;
    auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
    VarId id = static_cast<VarId>(names_.size());
    names_.push_back(name);
    ids_.emplace(name, id);
    return id;
  }

 private:
  std::vector<std::string>& names_;
  std::unordered_map<std::string, VarId> ids_;
};

class ClauseParser {
 public:
  // `source` is the default source of the clauses: `$`, or the source that
  // prefixes an enclosing ($src or ...) / ($src not ...) / ($src and ...).
  ClauseParser(Scope& scope, int depth = 0, std::string source = "$")
      : scope_(scope), depth_(depth), source_(std::move(source)) {}

  Clauses parseClauses(const std::vector<Value>& forms, size_t from = 0, bool allowAnd = false) {
    Clauses out;
    for (size_t i = from; i < forms.size(); ++i) out.push_back(parseClause(forms[i], allowAnd));
    return out;
  }

  Term term(const Value& v) {
    if (isBlank(v)) return Term::blank();
    if (isVarSymbol(v)) return Term::variable(scope_.var(v));
    if (v.isSymbol() && !isSourceSymbol(v)) return Term::constantOf(v);  // plain symbols are data
    return Term::constantOf(v);
  }

  Binding binding(const Value& form) {
    Binding b;
    if (isBlank(form)) {
      b.kind = Binding::Kind::Blank;
      return b;
    }
    if (isVarSymbol(form)) {
      b.kind = Binding::Kind::Scalar;
      b.vars.push_back(scope_.var(form));
      return b;
    }
    if (form.isVector()) {
      const auto& items = form.items();
      if (items.size() == 2 && isSymbolNamed(items[1], "...")) {
        if (!isVarSymbol(items[0]) && !isBlank(items[0])) fail("Cannot parse collection binding", form);
        b.kind = Binding::Kind::Collection;
        b.vars.push_back(isBlank(items[0]) ? kNoVar : scope_.var(items[0]));
        return b;
      }
      if (items.size() == 1 && items[0].isVector()) {
        b.kind = Binding::Kind::Relation;
        for (const Value& x : items[0].items()) b.vars.push_back(bindingVar(x, form));
        if (b.vars.empty()) fail("Cannot parse relation binding", form);
        return b;
      }
      if (!items.empty()) {
        b.kind = Binding::Kind::Tuple;
        for (const Value& x : items) b.vars.push_back(bindingVar(x, form));
        return b;
      }
    }
    fail("Cannot parse binding", form);
  }

 private:
  VarId bindingVar(const Value& x, const Value& form) {
    if (isBlank(x)) return kNoVar;
    if (isVarSymbol(x)) return scope_.var(x);
    fail("Cannot parse binding", form);
  }

  std::vector<VarId> varList(const Value& form, const Value& clause) {
    std::vector<VarId> vars;
    if (!form.isVector()) fail("Expected a vector of variables", clause);
    for (const Value& x : form.items()) {
      if (!isVarSymbol(x)) fail("Expected a variable", clause);
      vars.push_back(scope_.var(x));
    }
    return vars;
  }

  Clause parseClause(const Value& form, bool allowAnd) {
    if (depth_ > 64) raise(ErrorCode::LimitExceeded, "query clauses nest deeper than 64 levels");
    if (form.isVector()) {
      const auto& items = form.items();
      if (items.empty()) fail("Empty clause", form);
      if (items[0].isList()) return parseCall(form);
      return parsePattern(form);
    }
    if (form.isList()) {
      const auto& items = form.items();
      if (items.empty()) fail("Empty clause", form);
      size_t at = 0;
      std::string source = source_;
      if (isSourceSymbol(items[0])) {
        source = items[0].interned().full;
        at = 1;
        if (items.size() < 2) fail("Cannot parse clause", form);
      }
      const Value& head = items[at];
      if (!head.isSymbol()) fail("Cannot parse clause", form);
      const std::string& op = head.interned().full;
      if (op == "not" || op == "not-join" || op == "or" || op == "or-join" || op == "and")
        return parseLogic(form, op, at, source, allowAnd);
      // A rule call.
      Clause c{Clause::Kind::RuleCall};
      c.source = source;
      c.name = op;
      for (size_t i = at + 1; i < items.size(); ++i) c.terms.push_back(term(items[i]));
      c.form = form;
      return c;
    }
    fail("Cannot parse clause, expected a vector or a list", form);
  }

  Clause parsePattern(const Value& form) {
    const auto& items = form.items();
    Clause c{Clause::Kind::Pattern};
    c.source = source_;
    size_t at = 0;
    if (isSourceSymbol(items[0])) {
      c.source = items[0].interned().full;
      at = 1;
    }
    size_t n = items.size() - at;
    if (n == 0 || n > 5) fail("Pattern must have 1 to 5 elements", form);
    for (size_t i = at; i < items.size(); ++i) {
      if (isSourceSymbol(items[i])) fail("Source variables are allowed only first in a pattern", form);
      c.terms.push_back(term(items[i]));
    }
    c.form = form;
    return c;
  }

  Clause parseCall(const Value& form) {
    const auto& items = form.items();
    if (items.size() > 2) fail("Cannot parse function call, expected [(f args) binding?]", form);
    const auto& call = items[0].items();
    if (call.empty() || !call[0].isSymbol()) fail("Cannot parse function call, expected a function symbol first", form);
    Clause c{items.size() == 1 ? Clause::Kind::Predicate : Clause::Kind::Function};
    c.name = call[0].interned().full;
    for (size_t i = 1; i < call.size(); ++i) {
      if (isSourceSymbol(call[i])) {
        Term t = Term::constantOf(call[i]);  // a source argument (get-else, missing?)
        c.terms.push_back(t);
      } else {
        c.terms.push_back(term(call[i]));
      }
    }
    if (items.size() == 2) c.binding = binding(items[1]);
    c.form = form;
    return c;
  }

  Clause parseLogic(const Value& form, const std::string& op, size_t at, const std::string& source, bool allowAnd) {
    const auto& items = form.items();
    Clause c{Clause::Kind::Not};
    c.source = source;
    c.form = form;
    size_t bodyFrom = at + 1;
    ClauseParser inner(scope_, depth_ + 1, source);
    if (op == "not-join" || op == "or-join") {
      if (items.size() <= at + 1) fail("Cannot parse " + op + ", expected join variables", form);
      const Value& vars = items[at + 1];
      c.explicitJoin = true;
      if (op == "or-join" && vars.isVector() && !vars.items().empty() && vars.items()[0].isVector()) {
        c.requiredVars = varList(vars.items()[0], form);
        c.joinVars = c.requiredVars;
        for (size_t i = 1; i < vars.items().size(); ++i) {
          if (!isVarSymbol(vars.items()[i])) fail("Expected a variable", form);
          c.joinVars.push_back(scope_.var(vars.items()[i]));
        }
      } else {
        c.joinVars = varList(vars, form);
      }
      bodyFrom = at + 2;
    }
    if (items.size() <= bodyFrom) fail("Cannot parse " + op + ", expected clauses", form);
    if (op == "not" || op == "not-join") {
      c.kind = Clause::Kind::Not;
      c.branches.push_back(inner.parseClauses(items, bodyFrom));
    } else if (op == "and") {
      if (!allowAnd) fail("'and' is allowed only inside 'or'", form);
      c.kind = Clause::Kind::And;
      c.branches.push_back(inner.parseClauses(items, bodyFrom));
    } else {
      c.kind = Clause::Kind::Or;
      for (size_t i = bodyFrom; i < items.size(); ++i) {
        Clause branch = inner.parseClause(items[i], true);
        if (branch.kind == Clause::Kind::And) c.branches.push_back(std::move(branch.branches[0]));
        else c.branches.push_back(Clauses{std::move(branch)});
      }
    }
    return c;
  }

  Scope& scope_;
  int depth_;
  std::string source_;
};

// Variables a clause list binds or uses (for 'or' and 'not' join sets).
void collectVars(const Clauses& clauses, std::vector<VarId>& out) {
  for (const Clause& c : clauses) {
    for (const Term& t : c.terms)
      if (t.isVar()) out.push_back(t.var);
    for (VarId v : c.binding.vars)
      if (v != kNoVar) out.push_back(v);
    if (c.explicitJoin) {
      out.insert(out.end(), c.joinVars.begin(), c.joinVars.end());
    } else {
      for (const Clauses& b : c.branches) collectVars(b, out);
    }
  }
}

std::vector<VarId> sortedVars(const Clauses& clauses) {
  std::vector<VarId> vs;
  collectVars(clauses, vs);
  std::sort(vs.begin(), vs.end());
  vs.erase(std::unique(vs.begin(), vs.end()), vs.end());
  return vs;
}

// Plain 'or' / 'not' join on all their variables; 'or' branches must agree.
void computeJoinVars(Clauses& clauses) {
  for (Clause& c : clauses) {
    for (Clauses& b : c.branches) computeJoinVars(b);
    if (c.explicitJoin) continue;
    if (c.kind == Clause::Kind::Not) {
      c.joinVars = sortedVars(c.branches[0]);
    } else if (c.kind == Clause::Kind::Or) {
      c.joinVars = sortedVars(c.branches[0]);
      for (size_t i = 1; i < c.branches.size(); ++i)
        if (sortedVars(c.branches[i]) != c.joinVars)
          fail("All clauses in 'or' must use the same set of free vars", c.form);
    }
  }
}

void collectBound(const Clauses& clauses, std::vector<bool>& bound) {
  for (const Clause& c : clauses) {
    switch (c.kind) {
      case Clause::Kind::Pattern: case Clause::Kind::RuleCall:
        for (const Term& t : c.terms)
          if (t.isVar()) bound[static_cast<size_t>(t.var)] = true;
        break;
      case Clause::Kind::Function:
        for (VarId v : c.binding.vars)
          if (v != kNoVar) bound[static_cast<size_t>(v)] = true;
        break;
      case Clause::Kind::Or:
        for (VarId v : c.joinVars) bound[static_cast<size_t>(v)] = true;
        break;
      default: break;
    }
  }
}

std::vector<Value> sectionItems(const Value& v, const char* section, const Value& form) {
  if (!v.isSequential()) fail(std::string("Expected a vector after ") + section, form);
  return v.items();
}

}  // namespace

Query parseQuery(const Value& form) {
  // Normalise to sections.
  std::vector<std::pair<std::string, std::vector<Value>>> sections;
  if (form.isMap()) {
    for (size_t i = 0; i < form.mapSize(); ++i) {
      const Value& k = form.mapKey(i);
      if (!k.isKeyword()) fail("Query map keys must be keywords", form);
      sections.emplace_back(std::string(k.interned().full), sectionItems(form.mapVal(i), k.interned().full.c_str(), form));
    }
  } else if (form.isSequential()) {
    for (const Value& item : form.items()) {
      if (item.isKeyword()) sections.emplace_back(std::string(item.interned().full), std::vector<Value>{});
      else if (sections.empty()) fail("Query should start with a keyword like :find", form);
      else sections.back().second.push_back(item);
    }
  } else {
    fail("Query should be a vector or a map", form);
  }
  Query q;
  q.form = form;
  Scope scope(q.varNames);
  const std::vector<Value>* findForms = nullptr;
  const std::vector<Value>* inForms = nullptr;
  const std::vector<Value>* whereForms = nullptr;
  const std::vector<Value>* withForms = nullptr;
  for (auto& [name, items] : sections) {
    if (name == "find") findForms = &items;
    else if (name == "in") inForms = &items;
    else if (name == "where") whereForms = &items;
    else if (name == "with") withForms = &items;
    else if (name == "keys" || name == "strs" || name == "syms") {
      q.keysKind = name == "keys" ? Query::Keys::Keys : name == "strs" ? Query::Keys::Strs : Query::Keys::Syms;
      for (const Value& k : items) {
        if (!k.isSymbol()) fail(":" + name + " expects symbols", form);
        q.keys.push_back(k.interned().full);
      }
    } else {
      fail("Unknown query section :" + name, form);
    }
  }
  if (!findForms || findForms->empty()) fail("Query must have a :find section", form);

  // :in
  if (!inForms) {
    Input src;
    src.kind = Input::Kind::Source;
    src.name = "$";
    q.inputs.push_back(src);
  } else {
    ClauseParser p(scope);
    for (const Value& in : *inForms) {
      Input input;
      if (isSourceSymbol(in)) {
        input.kind = Input::Kind::Source;
        input.name = in.interned().full;
      } else if (isSymbolNamed(in, "%")) {
        input.kind = Input::Kind::Rules;
      } else {
        input.kind = Input::Kind::Binding;
        input.binding = p.binding(in);
      }
      q.inputs.push_back(std::move(input));
    }
  }

  // :where
  if (whereForms) {
    ClauseParser p(scope);
    q.where = p.parseClauses(*whereForms);
    computeJoinVars(q.where);
  }

  // :find
  auto findVar = [&](const Value& v) -> VarId {
    if (!isVarSymbol(v)) fail("Expected a variable in :find", form);
    return scope.var(v);
  };
  auto findElem = [&](const Value& v) -> FindElem {
    FindElem e;
    if (isVarSymbol(v)) {
      e.kind = FindElem::Kind::Var;
      e.var = scope.var(v);
      return e;
    }
    if (v.isList() && !v.items().empty() && v.at(0).isSymbol()) {
      const auto& items = v.items();
      const std::string& fn = items[0].interned().full;
      if (fn == "pull") {
        e.kind = FindElem::Kind::Pull;
        size_t at = 1;
        if (items.size() == 4 && isSourceSymbol(items[1])) {
          e.source = items[1].interned().full;
          at = 2;
        }
        if (items.size() != at + 2) fail("Cannot parse pull expression, expected (pull ?e pattern)", v);
        e.var = findVar(items[at]);
        if (isVarSymbol(items[at + 1])) e.patternVar = scope.var(items[at + 1]);
        else e.pattern = items[at + 1];
        return e;
      }
      e.kind = FindElem::Kind::Aggregate;
      e.fn = fn;
      if (items.size() < 2) fail("Cannot parse aggregate, expected (fn ?x)", v);
      for (size_t i = 1; i + 1 < items.size(); ++i) e.constArgs.push_back(items[i]);
      e.var = findVar(items.back());
      return e;
    }
    fail("Cannot parse :find element, expected a variable, an aggregate or a pull expression", v);
  };
  const auto& f = *findForms;
  if (f.size() == 2 && isSymbolNamed(f[1], ".")) {
    q.shape = Query::Shape::Scalar;
    q.find.push_back(findElem(f[0]));
  } else if (f.size() == 1 && f[0].isVector()) {
    const auto& inner = f[0].items();
    if (inner.size() == 2 && isSymbolNamed(inner[1], "...")) {
      q.shape = Query::Shape::Collection;
      q.find.push_back(findElem(inner[0]));
    } else {
      if (inner.empty()) fail("Empty tuple in :find", form);
      q.shape = Query::Shape::Tuple;
      for (const Value& x : inner) q.find.push_back(findElem(x));
    }
  } else {
    q.shape = Query::Shape::Relation;
    for (const Value& x : f) {
      if (isSymbolNamed(x, ".") || isSymbolNamed(x, "...")) fail("Cannot parse :find", form);
      q.find.push_back(findElem(x));
    }
  }
  if (q.keysKind != Query::Keys::None) {
    if (q.shape == Query::Shape::Collection || q.shape == Query::Shape::Scalar)
      fail(":keys/:strs/:syms need a relation or tuple :find", form);
    if (q.keys.size() != q.find.size())
      fail("Count of :keys/:strs/:syms must match count of :find", form);
  }
  if (withForms)
    for (const Value& w : *withForms) q.with.push_back(findVar(w));

  // Every variable in :find / :with must be bound by :where or :in.
  std::vector<bool> bound(q.varNames.size(), false);
  collectBound(q.where, bound);
  for (const Input& in : q.inputs)
    for (VarId v : in.binding.vars)
      if (v != kNoVar) bound[static_cast<size_t>(v)] = true;
  std::vector<std::string> unknown;
  auto need = [&](VarId v) {
    if (v != kNoVar && !bound[static_cast<size_t>(v)]) unknown.push_back(q.varNames[static_cast<size_t>(v)]);
  };
  for (const FindElem& e : q.find) {
    need(e.var);
    if (e.kind == FindElem::Kind::Pull) need(e.patternVar);
  }
  for (VarId v : q.with) need(v);
  if (!unknown.empty()) {
    std::string list;
    for (const auto& u : unknown) list += (list.empty() ? "" : " ") + u;
    fail("Query for unknown vars: [" + list + "]", form);
  }
  return q;
}

RuleSet parseRules(const Value& form) {
  RuleSet rs;
  if (form.isNil()) return rs;
  if (!form.isSequential()) fail("Rules should be a vector of rule definitions", form);
  for (const Value& r : form.items()) {
    if (!r.isSequential() || r.count() < 2 || !r.at(0).isList())
      fail("Cannot parse rule, expected [(name ?vars...) clauses...]", r);
    const auto& head = r.at(0).items();
    if (head.empty() || !head[0].isSymbol()) fail("Cannot parse rule name", r);
    Rule rule;
    rule.name = head[0].interned().full;
    Scope scope(rule.varNames);
    for (size_t i = 1; i < head.size(); ++i) {
      const Value& a = head[i];
      if (i == 1 && a.isVector()) {
        for (const Value& x : a.items()) {
          if (!isVarSymbol(x)) fail("Rule arguments must be variables", r);
          rule.required.push_back(scope.var(x));
        }
      } else if (isVarSymbol(a)) {
        rule.free.push_back(scope.var(a));
      } else {
        fail("Rule arguments must be variables", r);
      }
    }
    if (rule.arity() == 0) fail("Rule must have at least one argument", r);
    ClauseParser p(scope);
    rule.body = p.parseClauses(r.items(), 1);
    computeJoinVars(rule.body);
    // Arity must agree across branches of one rule.
    for (const Rule& other : rs.rules)
      if (other.name == rule.name && other.arity() != rule.arity())
        fail("Rule branches must have the same arity", r);
    rs.rules.push_back(std::move(rule));
  }
  return rs;
}

}  // namespace datalite::query
