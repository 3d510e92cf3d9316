// Query execution over relations.
//
// A Frame holds relations over disjoint variable sets (their cross product
// is the current set of bindings). Clauses run one at a time; at each step
// the planner picks the ready clause with the lowest estimated output, so
// the written order does not matter. Patterns pick the index whose bound
// prefix scans least and join either by index lookups per distinct binding
// or by a scan and a hash join, whichever is estimated cheaper. Rules are
// evaluated as a fixpoint over tables keyed by (rule, bound arguments): the
// bound arguments of calls seed the tables, so required bindings and
// recursion work without evaluating a rule over the whole database.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "core/encoding.h"
#include "core/error.h"
#include "db/show.h"
#include "edn/edn.h"
#include "pull/pull.h"
#include "query/aggregates.h"
#include "query/builtins.h"
#include "query/parser.h"
#include "query/query.h"

namespace datalite::query {

namespace {

constexpr double kLookupCost = 4;

// ------------------------------------------------------------------ relations

struct Rel {
  std::vector<VarId> vars;
  std::vector<Value> cells;  // row-major
  size_t nrows = 0;
  // Known to hold no duplicate rows (so projecting all of its columns needs
  // no hashing). False whenever not proven.
  bool distinct = false;
  size_t width() const { return vars.size(); }
  const Value* row(size_t i) const { return cells.data() + i * vars.size(); }
  int col(VarId v) const {
    for (size_t i = 0; i < vars.size(); ++i)
      if (vars[i] == v) return static_cast<int>(i);
    return -1;
  }
  void addRow(const Value* values) {
    for (size_t i = 0, w = vars.size(); i < w; ++i) cells.push_back(values[i]);
    ++nrows;
  }
};

Rel unitRel() {
  Rel r;
  r.nrows = 1;
  return r;
}

// Cells are mostly entity ids and other integers: hash and compare those
// inline, everything else through the general functions.
inline size_t cellHash(const Value& v) {
  if (v.kind() == Kind::Long) {
    uint64_t x = static_cast<uint64_t>(v.asLong()) * 0x9e3779b97f4a7c15ULL;
    return static_cast<size_t>(x ^ (x >> 29));
  }
  return hashValue(v);
}
inline bool cellEqual(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  if (a.kind() == Kind::Long) return a.asLong() == b.asLong();
  return compareValues(a, b) == 0;
}

struct RowHash {
  size_t operator()(const std::vector<Value>& r) const {
    size_t h = 0x12345;
    for (const Value& v : r) h = h * 1000003 ^ cellHash(v);
    return h;
  }
};
struct RowEq {
  bool operator()(const std::vector<Value>& a, const std::vector<Value>& b) const {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (!cellEqual(a[i], b[i])) return false;
    return true;
  }
};
using RowSet = std::unordered_set<std::vector<Value>, RowHash, RowEq>;

size_t hashCols(const Value* row, const std::vector<int>& cols) {
  size_t h = 0x9e37;
  for (int c : cols) h = h * 1000003 ^ cellHash(row[c]);
  return h;
}

bool equalCols(const Value* a, const std::vector<int>& ac, const Value* b, const std::vector<int>& bc) {
  for (size_t i = 0; i < ac.size(); ++i)
    if (!cellEqual(a[ac[i]], b[bc[i]])) return false;
  return true;
}

// Row ids of one relation hashed on some of its columns: chained buckets in
// flat arrays, so building and probing allocate nothing per row.
class RowTable {
 public:
  RowTable(const Value* cells, size_t width, std::vector<int> cols, size_t expected)
      : cells_(cells), width_(width), cols_(std::move(cols)) {
    size_t n = 16;
    while (n < expected * 2) n <<= 1;
    heads_.assign(n, kEnd);
    next_.reserve(expected);
    hashes_.reserve(expected);
  }
  // Adds `row` (an index into cells); rows must be added in order 0, 1, ...
  void add(uint32_t row) {
    if (next_.size() >= heads_.size()) grow();
    size_t h = hashCols(cells_ + size_t(row) * width_, cols_);
    size_t b = h & (heads_.size() - 1);
    next_.push_back(heads_[b]);
    hashes_.push_back(h);
    heads_[b] = row;
  }
  // Calls fn(row) for every added row equal to probe on probeCols.
  template <class Fn>
  void forEachMatch(const Value* probe, const std::vector<int>& probeCols, Fn&& fn) const {
    size_t h = hashCols(probe, probeCols);
    for (uint32_t r = heads_[h & (heads_.size() - 1)]; r != kEnd; r = next_[r])
      if (hashes_[r] == h && equalCols(cells_ + size_t(r) * width_, cols_, probe, probeCols)) fn(r);
  }
  bool contains(const Value* probe, const std::vector<int>& probeCols) const {
    bool found = false;
    forEachMatch(probe, probeCols, [&](uint32_t) { found = true; });
    return found;
  }
  // The cells buffer may move as rows are appended (distinct sets).
  void rebase(const Value* cells) { cells_ = cells; }

 private:
  // Doubles the buckets so chains stay short (rows keep their hashes).
  void grow() {
    heads_.assign(heads_.size() * 2, kEnd);
    size_t mask = heads_.size() - 1;
    for (uint32_t r = 0; r < next_.size(); ++r) {
      size_t b = hashes_[r] & mask;
      next_[r] = heads_[b];
      heads_[b] = r;
    }
  }

  static constexpr uint32_t kEnd = UINT32_MAX;
  const Value* cells_;
  size_t width_;
  std::vector<int> cols_;
  std::vector<uint32_t> heads_, next_;
  std::vector<size_t> hashes_;
};

// Appends rows to `out` skipping duplicates (over all of out's columns).
class DistinctRows {
 public:
  DistinctRows(Rel& out, size_t expected) : out_(out), table_(nullptr, out.width(), allCols(out.width()), expected) {}
  bool add(const Value* row) {
    table_.rebase(out_.cells.data());
    if (out_.nrows && table_.contains(row, cols_)) return false;
    out_.addRow(row);
    table_.rebase(out_.cells.data());
    table_.add(static_cast<uint32_t>(out_.nrows - 1));
    return true;
  }

 private:
  static std::vector<int> allCols(size_t w) {
    std::vector<int> c(w);
    for (size_t i = 0; i < w; ++i) c[i] = static_cast<int>(i);
    return c;
  }
  Rel& out_;
  RowTable table_;
  std::vector<int> cols_ = allCols(out_.width());
};

// Natural join on shared variables (cross product when none are shared).
Rel joinRels(const Rel& a, const Rel& b) {
  std::vector<int> ac, bc;
  for (size_t i = 0; i < b.vars.size(); ++i) {
    int c = a.col(b.vars[i]);
    if (c >= 0) {
      ac.push_back(c);
      bc.push_back(static_cast<int>(i));
    }
  }
  Rel out;
  out.vars = a.vars;
  out.distinct = a.distinct && b.distinct;  // a natural join of sets is a set
  std::vector<int> bExtra;
  for (size_t i = 0; i < b.vars.size(); ++i)
    if (a.col(b.vars[i]) < 0) {
      out.vars.push_back(b.vars[i]);
      bExtra.push_back(static_cast<int>(i));
    }
  auto emit = [&](const Value* ra, const Value* rb) {
    for (size_t i = 0, w = a.vars.size(); i < w; ++i) out.cells.push_back(ra[i]);
    for (int k : bExtra) out.cells.push_back(rb[k]);
    ++out.nrows;
  };
  if (ac.empty()) {
    for (size_t i = 0; i < a.nrows; ++i)
      for (size_t j = 0; j < b.nrows; ++j) emit(a.row(i), b.row(j));
    return out;
  }
  // Hash the smaller side.
  bool buildA = a.nrows < b.nrows;
  const Rel& build = buildA ? a : b;
  const Rel& probe = buildA ? b : a;
  const std::vector<int>& buildCols = buildA ? ac : bc;
  const std::vector<int>& probeCols = buildA ? bc : ac;
  RowTable table(build.cells.data(), build.width(), buildCols, build.nrows);
  for (size_t i = 0; i < build.nrows; ++i) table.add(static_cast<uint32_t>(i));
  out.cells.reserve(std::max(a.nrows, b.nrows) * out.vars.size());
  for (size_t j = 0; j < probe.nrows; ++j) {
    const Value* pr = probe.row(j);
    table.forEachMatch(pr, probeCols, [&](uint32_t r) {
      const Value* br = build.row(r);
      if (buildA) emit(br, pr);
      else emit(pr, br);
    });
  }
  return out;
}

// Distinct rows of `r` over `vars` (all must be columns of r).
Rel projectDistinct(const Rel& r, const std::vector<VarId>& vars) {
  Rel out;
  out.vars = vars;
  std::vector<int> cols;
  for (VarId v : vars) cols.push_back(r.col(v));
  if (vars.empty()) {
    out.nrows = r.nrows ? 1 : 0;
    return out;
  }
  out.distinct = true;
  if (r.distinct && vars.size() == r.width()) {
    // Every column kept from a duplicate-free relation: reorder only.
    out.cells.reserve(r.cells.size());
    for (size_t i = 0; i < r.nrows; ++i) {
      const Value* row = r.row(i);
      for (int c : cols) out.cells.push_back(row[c]);
    }
    out.nrows = r.nrows;
    return out;
  }
  DistinctRows distinct(out, r.nrows);
  std::vector<Value> key(vars.size());
  for (size_t i = 0; i < r.nrows; ++i) {
    const Value* row = r.row(i);
    for (size_t k = 0; k < cols.size(); ++k) key[k] = row[cols[k]];
    distinct.add(key.data());
  }
  return out;
}

// ------------------------------------------------------------------ sources

struct Source {
  bool isDb = false;
  const Db* db = nullptr;
  std::vector<std::vector<Value>> tuples;  // a collection source
};

std::string varName(const std::vector<std::string>& names, VarId v) {
  return v >= 0 && static_cast<size_t>(v) < names.size() ? names[static_cast<size_t>(v)] : "_";
}

// A pattern position resolved for a scan: fixed to one value, or free.
struct Fixed {
  bool e = false, a = false, v = false, tx = false, added = false;
  int64_t eVal = 0;
  AttrId aVal = 0;
  std::string vEnc;
  int64_t txVal = 0;
  bool addedVal = true;
};

uint64_t countPrefix(const index::BTree& tree, const std::string& prefix) {
  if (prefix.empty()) return tree.size();
  std::string hi = prefix;
  // The smallest key greater than every key with this prefix.
  while (!hi.empty() && static_cast<unsigned char>(hi.back()) == 0xFF) hi.pop_back();
  if (hi.empty()) return tree.size() - tree.rank(prefix);
  hi.back() = static_cast<char>(static_cast<unsigned char>(hi.back()) + 1);
  return tree.countRange(prefix, hi);
}

// ------------------------------------------------------------------ executor

struct Frame {
  std::vector<Rel> rels;
  const std::vector<std::string>* names = nullptr;
  bool isEmpty() const {
    for (const Rel& r : rels)
      if (r.nrows == 0) return true;
    return false;
  }
  int relOf(VarId v) const {
    for (size_t i = 0; i < rels.size(); ++i)
      if (rels[i].col(v) >= 0) return static_cast<int>(i);
    return -1;
  }
  bool bound(VarId v) const { return relOf(v) >= 0; }
  size_t totalRows() const {
    size_t n = 1;
    for (const Rel& r : rels) n = std::max<size_t>(n, r.nrows);
    return n;
  }
};

class Executor {
 public:
  Executor(const QueryOptions& options, Value* explainOut) : options_(options), explain_(explainOut) {}

  void addSource(const std::string& name, const QueryArg& arg) {
    Source s;
    if (arg.isDb) {
      s.isDb = true;
      dbs_.push_back(std::make_unique<Db>(arg.db));
      s.db = dbs_.back().get();
    } else {
      if (!arg.value.isCollection())
        raise(ErrorCode::InvalidInput, "Source " + name + " must be a database or a collection of tuples, got " +
                                           show(arg.value));
      for (const Value& t : arg.value.items()) {
        if (!t.isSequential())
          raise(ErrorCode::InvalidInput, "Collection source " + name + " must hold tuples, got " + show(t));
        s.tuples.push_back(t.items());
      }
    }
    sources_[name] = std::move(s);
  }

  void setRules(RuleSet rules) {
    rules_ = std::move(rules);
    // Semi-naive rounds assume monotone rules; rules that negate rule calls
    // are solved stratum by stratum with naive rounds instead.
    std::function<bool(const Clauses&, bool)> negatesRule = [&](const Clauses& cs, bool underNot) {
      for (const Clause& c : cs) {
        if (c.kind == Clause::Kind::RuleCall && underNot) return true;
        for (const Clauses& b : c.branches)
          if (negatesRule(b, underNot || c.kind == Clause::Kind::Not)) return true;
      }
      return false;
    };
    semiNaive_ = true;
    for (const Rule& r : rules_.rules)
      if (negatesRule(r.body, false)) semiNaive_ = false;
  }

  // Unknown functions and rules are errors whatever the data (a clause that
  // matches nothing must not hide them).
  void validateCalls(const Clauses& clauses) {
    for (const Clause& c : clauses) {
      if (c.kind == Clause::Kind::Predicate || c.kind == Clause::Kind::Function) {
        bool known = c.name == "get-else" || c.name == "get-some" || c.name == "missing?" ||
                     (options_.functions && options_.functions->count(c.name)) || findBuiltin(c.name);
        if (!known) raise(ErrorCode::InvalidInput, "Unknown function '" + c.name + "' in " + show(c.form));
      } else if (c.kind == Clause::Kind::RuleCall && !firstRule(c.name)) {
        raise(ErrorCode::InvalidInput, "Unknown rule '" + c.name + "' in " + show(c.form));
      }
      for (const Clauses& b : c.branches) validateCalls(b);
    }
  }
  void validateRules() {
    for (const Rule& r : rules_.rules) validateCalls(r.body);
  }

  // Runs clauses in the frame until all are applied or the frame is empty.
  void run(Frame& f, const Clauses& clauses) {
    std::vector<const Clause*> remaining;
    for (const Clause& c : clauses) remaining.push_back(&c);
    while (!remaining.empty()) {
      if (f.isEmpty()) {
        // Nothing can match any more; still validate readiness cheaply.
        logStep("short-circuit", Value(), 0);
        return;
      }
      size_t best = SIZE_MAX;
      double bestCost = 0;
      for (size_t i = 0; i < remaining.size(); ++i) {
        double cost;
        if (!ready(f, *remaining[i], remaining, cost)) continue;
        if (best == SIZE_MAX || cost < bestCost) {
          best = i;
          bestCost = cost;
        }
      }
      if (best == SIZE_MAX) insufficientBindings(f, *remaining.front());
      const Clause& c = *remaining[best];
      remaining.erase(remaining.begin() + static_cast<long>(best));
      if (c.kind == Clause::Kind::Pattern) applyPattern(f, c, &remaining);
      else apply(f, c);
      checkLimits(f);
    }
  }

  // Collapses the relations holding `vars` into one (joining them) and
  // returns its index; -1 when vars is empty.
  int merge(Frame& f, const std::vector<VarId>& vars) {
    std::vector<int> idx;
    for (VarId v : vars) {
      int r = f.relOf(v);
      if (r >= 0 && std::find(idx.begin(), idx.end(), r) == idx.end()) idx.push_back(r);
    }
    if (idx.empty()) return -1;
    std::sort(idx.begin(), idx.end());
    Rel acc = std::move(f.rels[static_cast<size_t>(idx[0])]);
    for (size_t k = 1; k < idx.size(); ++k) acc = joinRels(acc, f.rels[static_cast<size_t>(idx[k])]);
    for (size_t k = idx.size(); k-- > 1;) f.rels.erase(f.rels.begin() + idx[k]);
    f.rels[static_cast<size_t>(idx[0])] = std::move(acc);
    return idx[0];
  }

  // Adds `r` to the frame, joining with relations that share variables.
  void addRel(Frame& f, Rel r) {
    std::vector<size_t> shared;
    for (size_t i = 0; i < f.rels.size(); ++i) {
      for (VarId v : r.vars)
        if (f.rels[i].col(v) >= 0) {
          shared.push_back(i);
          break;
        }
    }
    for (size_t k = shared.size(); k-- > 0;) {
      r = joinRels(f.rels[shared[k]], r);
      f.rels.erase(f.rels.begin() + static_cast<long>(shared[k]));
    }
    f.rels.push_back(std::move(r));
  }

  // The frame's rows over `vars` (joined), distinct.
  Rel project(Frame& f, const std::vector<VarId>& vars) {
    Rel all = unitRel();
    std::vector<int> idx;
    for (VarId v : vars) {
      int r = f.relOf(v);
      if (r < 0) raise(ErrorCode::InvalidInput, "Variable " + varName(*f.names, v) + " is not bound");
      if (std::find(idx.begin(), idx.end(), r) == idx.end()) idx.push_back(r);
    }
    if (f.isEmpty()) return projectDistinct(Rel{vars, {}, 0}, vars);
    if (idx.size() == 1) return projectDistinct(f.rels[static_cast<size_t>(idx[0])], vars);
    for (int i : idx) all = joinRels(all, f.rels[static_cast<size_t>(i)]);
    return projectDistinct(all, vars);
  }

  Value explainValue() const { return Value::vector(steps_); }

  const HostAggregate* hostAggregate(const std::string& name) const {
    if (!options_.aggregates) return nullptr;
    auto it = options_.aggregates->find(name);
    return it == options_.aggregates->end() ? nullptr : &it->second;
  }

  // `$` names the default source: the query's `$`, or inside a rule body
  // the source its call was prefixed with.
  const Source& source(const std::string& name) {
    auto it = sources_.find(name == "$" ? defaultSource_ : name);
    if (it == sources_.end()) raise(ErrorCode::InvalidInput, "Unknown data source " + name);
    return it->second;
  }

  const std::vector<VarId> clauseVars(const Clause& c) const {
    std::vector<VarId> vs;
    for (const Term& t : c.terms)
      if (t.isVar()) vs.push_back(t.var);
    return vs;
  }

 private:
  // ---------------------------------------------------------------- planning
  bool ready(const Frame& f, const Clause& c, const std::vector<const Clause*>& remaining, double& cost) {
    switch (c.kind) {
      case Clause::Kind::Pattern:
        cost = estimatePattern(f, c);
        return true;
      case Clause::Kind::Predicate:
      case Clause::Kind::Function:
        for (const Term& t : c.terms)
          if (t.isVar() && !f.bound(t.var)) return false;
        cost = c.kind == Clause::Kind::Predicate ? 0 : 1;
        return true;
      case Clause::Kind::RuleCall: {
        const Rule* r = firstRule(c.name);
        if (!r) {
          cost = 0;  // reported when applied
          return true;
        }
        if (&c == deltaClause_ && evaluatingTable_ != SIZE_MAX) {
          cost = static_cast<double>(deltaRows(c));
          return true;
        }
        bool anyBound = false;
        for (size_t i = 0; i < c.terms.size(); ++i) {
          bool b = c.terms[i].isConst() || (c.terms[i].isVar() && f.bound(c.terms[i].var));
          if (i < r->required.size() && !b) return false;
          anyBound = anyBound || b;
        }
        cost = anyBound ? static_cast<double>(f.totalRows()) * 10 : 1e7;
        return true;
      }
      case Clause::Kind::Not: {
        // Variables of a plain 'not' that other clauses can still bind must
        // be bound first; the rest are local to the 'not'.
        for (VarId v : c.joinVars) {
          if (f.bound(v)) continue;
          if (c.explicitJoin || bindableElsewhere(v, c, remaining)) return false;
        }
        cost = 0.5;
        return true;
      }
      case Clause::Kind::Or: {
        for (VarId v : c.requiredVars)
          if (!f.bound(v)) return false;
        bool allBound = true;
        for (VarId v : c.joinVars) allBound = allBound && f.bound(v);
        cost = allBound ? static_cast<double>(f.totalRows()) : 1e6;
        return true;
      }
      case Clause::Kind::And:
        cost = 1e6;
        return true;
    }
    return false;
  }

  bool bindableElsewhere(VarId v, const Clause& self, const std::vector<const Clause*>& remaining) {
    for (const Clause* c : remaining) {
      if (c == &self) continue;
      if (c->kind == Clause::Kind::Pattern || c->kind == Clause::Kind::RuleCall) {
        for (const Term& t : c->terms)
          if (t.isVar() && t.var == v) return true;
      } else if (c->kind == Clause::Kind::Function) {
        for (VarId b : c->binding.vars)
          if (b == v) return true;
      } else if (c->kind == Clause::Kind::Or) {
        for (VarId b : c->joinVars)
          if (b == v) return true;
      }
    }
    return false;
  }

  [[noreturn]] void insufficientBindings(const Frame& f, const Clause& c) {
    std::string unbound;
    auto add = [&](VarId v) {
      if (!f.bound(v)) unbound += (unbound.empty() ? "" : " ") + varName(*f.names, v);
    };
    for (const Term& t : c.terms)
      if (t.isVar()) add(t.var);
    for (VarId v : c.joinVars) add(v);
    raise(ErrorCode::InvalidInput, "Insufficient bindings: " + unbound + " not bound in " + show(c.form));
  }

  double estimatePattern(const Frame& f, const Clause& c) {
    const Source& src = source(c.source);
    if (!src.isDb) return static_cast<double>(src.tuples.size()) + 1;
    const Db& db = *src.db;
    Fixed fx;
    if (!resolveConstants(db, c, fx)) return 0;  // matches nothing: cheapest
    std::string prefix;
    IndexOrder order = chooseIndex(db, fx, prefix);
    double scan = static_cast<double>(countPrefix(db.currentTree(order), prefix));
    // Bound variables turn the scan into lookups per binding.
    bool eBound = false, vBound = false, aBound = false, anyBound = false;
    const auto& t = c.terms;
    for (size_t i = 0; i < t.size(); ++i) {
      if (!t[i].isVar() || !f.bound(t[i].var)) continue;
      anyBound = true;
      if (i == 0) eBound = true;
      if (i == 1) aBound = true;
      if (i == 2) vBound = true;
    }
    if (!anyBound) {
      // A pattern unconnected to the bindings multiplies them.
      return f.rels.empty() ? scan : scan * static_cast<double>(f.totalRows());
    }
    double rows = static_cast<double>(f.totalRows());
    double fanout = 10;
    if (eBound && (fx.a || aBound)) fanout = 1.5;
    else if (vBound && fx.a) {
      const Attribute& attr = db.schema().get(fx.aVal);
      fanout = attr.isUnique() ? 1 : std::max(1.0, scan / 100);
    }
    return std::min(scan + rows, rows * fanout);
  }

  // ---------------------------------------------------------------- patterns
  // Fixes the constant positions of a pattern; false when it can match nothing.
  bool resolveConstants(const Db& db, const Clause& c, Fixed& fx) {
    const auto& t = c.terms;
    const Attribute* attr = nullptr;
    if (t.size() > 1 && t[1].isConst()) {
      const Value& a = t[1].constant;
      if (!a.isKeyword()) {
        if (a.isInteger()) return false;  // attribute ids are not addressable by number
        return false;
      }
      attr = db.attribute(a.asKeyword());
      if (!attr) return false;
      fx.a = true;
      fx.aVal = attr->id;
    }
    if (!t.empty() && t[0].isConst()) {
      int64_t e = db.entid(t[0].constant);
      if (e <= 0) return false;
      fx.e = true;
      fx.eVal = e;
    }
    if (t.size() > 2 && t[2].isConst()) {
      if (!fixValue(db, attr, t[2].constant, fx)) return false;
    }
    if (t.size() > 3 && t[3].isConst()) {
      int64_t tx = db.entid(t[3].constant);
      if (tx <= kTx0) return false;
      fx.tx = true;
      fx.txVal = tx;
    }
    if (t.size() > 4 && t[4].isConst()) {
      if (t[4].constant.kind() != Kind::Boolean) return false;
      fx.added = true;
      fx.addedVal = t[4].constant.asBool();
    }
    return true;
  }

  bool fixValue(const Db& db, const Attribute* attr, const Value& v, Fixed& fx) {
    fx.vEnc.clear();
    try {
      if (attr) {
        Value c = db.coerceForAttribute(*attr, v);
        if (c.isNil()) return false;
        encodeValue(c, fx.vEnc);
      } else {
        if (!isEncodable(v)) return false;
        encodeValue(v, fx.vEnc);
      }
    } catch (const DataliteError& e) {
      if (e.code() == ErrorCode::TypeMismatch || e.code() == ErrorCode::NotFound || e.code() == ErrorCode::InvalidInput)
        return false;
      throw;
    }
    fx.v = true;
    return true;
  }

  bool fixEntity(const Db& db, const Value& v, int64_t& out) {
    if (v.kind() == Kind::Long) {
      out = v.asLong();
      return out > 0;
    }
    out = db.entid(v);
    return out > 0;
  }

  // Index and key prefix for the fixed positions.
  IndexOrder chooseIndex(const Db& db, const Fixed& fx, std::string& prefix) {
    prefix.clear();
    if (fx.e) {
      encodeUnsigned(static_cast<uint64_t>(fx.eVal), prefix);
      if (fx.a) {
        encodeUnsigned(fx.aVal, prefix);
        if (fx.v) {
          prefix += fx.vEnc;
          if (fx.tx) encodeUnsigned(static_cast<uint64_t>(fx.txVal - kTx0), prefix);
        }
      }
      return IndexOrder::EAVT;
    }
    if (fx.a && fx.v) {
      const Attribute& attr = db.schema().get(fx.aVal);
      if (attr.isRef()) {
        const uint8_t* p = reinterpret_cast<const uint8_t*>(fx.vEnc.data());
        Value target = decodeValue(p, p + fx.vEnc.size());
        encodeUnsigned(static_cast<uint64_t>(target.asLong()), prefix);
        encodeUnsigned(fx.aVal, prefix);
        return IndexOrder::VAET;
      }
      encodeUnsigned(fx.aVal, prefix);
      prefix += fx.vEnc;
      return IndexOrder::AVET;
    }
    if (fx.a) {
      encodeUnsigned(fx.aVal, prefix);
      return IndexOrder::AEVT;
    }
    return IndexOrder::EAVT;
  }

  Value attrValue(const Db& db, AttrId a) {
    auto key = std::make_pair(&db.schema(), a);
    auto it = attrValues_.find(key);
    if (it != attrValues_.end()) return it->second;
    Value v = Value::keyword(db.attrIdent(a));
    attrValues_.emplace(key, v);
    return v;
  }

  static Value valueOf(IndexOrder order, const KeyParts& k) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(k.value.data());
    const uint8_t* end = p + k.value.size();
    if (order == IndexOrder::VAET) return Value::integer(static_cast<int64_t>(decodeUnsigned(p, end)));
    return decodeValue(p, end);
  }

  // Scans the datoms matching `fx`, calling out(e, a, v, tx, added) lazily
  // through KeyParts.
  template <class Out>
  void scanFixed(const Db& db, const Fixed& fx, Out&& out) {
    std::string prefix;
    IndexOrder order = chooseIndex(db, fx, prefix);
    std::string vaetValue;
    if (fx.v && order == IndexOrder::VAET) {
      const uint8_t* p = reinterpret_cast<const uint8_t*>(fx.vEnc.data());
      Value target = decodeValue(p, p + fx.vEnc.size());
      encodeUnsigned(static_cast<uint64_t>(target.asLong()), vaetValue);
    }
    for (Db::Cursor c = db.scan(order, prefix); c.valid(); c.next()) {
      const KeyParts& k = c.parts();
      if (fx.e && k.e != fx.eVal) continue;
      if (fx.a && k.a != fx.aVal) continue;
      if (fx.v && k.value != (order == IndexOrder::VAET ? std::string_view(vaetValue) : std::string_view(fx.vEnc)))
        continue;
      if (fx.tx && k.tx != fx.txVal) continue;
      if (fx.added && k.added != fx.addedVal) continue;
      out(order, k);
    }
  }

  // A variable written twice in one pattern ([?x :a ?x]) must get one value.
  static bool repeatedVarsAgree(const Clause& c, const std::vector<int>& freePos, const std::vector<Value>& posVals) {
    for (size_t i = 0; i < freePos.size(); ++i)
      for (size_t j = i + 1; j < freePos.size(); ++j)
        if (c.terms[static_cast<size_t>(freePos[i])].var == c.terms[static_cast<size_t>(freePos[j])].var &&
            compareValues(posVals[static_cast<size_t>(freePos[i])], posVals[static_cast<size_t>(freePos[j])]) != 0)
          return false;
    return true;
  }

  // Relation over the pattern's free variables, for datoms matching fx and
  // the pattern's repeated-variable constraints.
  Rel scanPattern(const Db& db, const Clause& c, const Fixed& fx, const std::vector<int>& freePos) {
    Rel r;
    std::vector<int> firstPos;  // per output var, its first position
    for (int p : freePos) {
      VarId v = c.terms[static_cast<size_t>(p)].var;
      if (r.col(v) < 0) {
        r.vars.push_back(v);
        firstPos.push_back(p);
      }
    }
    // Current datoms are unique by (e, a, v): rows that keep all three
    // (as a constant or a variable) are distinct.
    auto covered = [&](int p, bool fixed) {
      return fixed || std::find(freePos.begin(), freePos.end(), p) != freePos.end();
    };
    r.distinct = db.view() == DbView::Current && covered(0, fx.e) && covered(1, fx.a) && covered(2, fx.v) &&
                 firstPos.size() == freePos.size();
    std::vector<Value> row(r.vars.size());
    std::vector<Value> posVals(5);
    scanFixed(db, fx, [&](IndexOrder order, const KeyParts& k) {
      for (int p : freePos) posVals[static_cast<size_t>(p)] = positionValue(db, order, k, p);
      if (!repeatedVarsAgree(c, freePos, posVals)) return;
      for (size_t i = 0; i < firstPos.size(); ++i) row[i] = posVals[static_cast<size_t>(firstPos[i])];
      r.addRow(row.data());
    });
    return r;
  }

  Value positionValue(const Db& db, IndexOrder order, const KeyParts& k, int p) {
    switch (p) {
      case 0: return Value::integer(k.e);
      case 1: return attrValue(db, k.a);
      case 2: return valueOf(order, k);
      case 3: return Value::integer(k.tx);
      default: return Value::boolean(k.added);
    }
  }

  // `siblings`, when given, are the clauses still to run: entity lookups on
  // the same entity variable are taken from it and joined in the same pass.
  void applyPattern(Frame& f, const Clause& c, std::vector<const Clause*>* siblings = nullptr) {
    const Source& src = source(c.source);
    if (!src.isDb) {
      applyCollectionPattern(f, c, src);
      return;
    }
    const Db& db = *src.db;
    Fixed fx;
    if (!resolveConstants(db, c, fx)) {
      logStep("pattern", c.form, 0, "no-match");
      killFrame(f);
      return;
    }
    std::vector<int> freePos, boundPos;
    std::vector<VarId> boundVars;
    for (size_t i = 0; i < c.terms.size(); ++i) {
      const Term& t = c.terms[i];
      if (!t.isVar()) continue;
      if (f.bound(t.var)) {
        boundPos.push_back(static_cast<int>(i));
        if (std::find(boundVars.begin(), boundVars.end(), t.var) == boundVars.end()) boundVars.push_back(t.var);
      } else {
        freePos.push_back(static_cast<int>(i));
      }
    }
    std::string prefix;
    IndexOrder constOrder = chooseIndex(db, fx, prefix);
    double scanCount = static_cast<double>(countPrefix(db.currentTree(constOrder), prefix));
    if (boundVars.empty()) {
      std::vector<RangePred> preds;
      if (siblings) takeRangePreds(f, db, c, fx, preds, *siblings);
      if (!preds.empty()) {
        Rel r = scanValueRange(db, c, fx, freePos, preds);
        logStep("scan", c.form, r.nrows, "avet-range");
        for (const RangePred& p : preds) logStep("predicate", p.clause->form, r.nrows, "in-scan");
        addRel(f, std::move(r));
        return;
      }
      Rel r = scanPattern(db, c, fx, freePos);
      logStep("scan", c.form, r.nrows, std::string(indexOrderName(constOrder)));
      addRel(f, std::move(r));
      return;
    }
    // Bound variables from relations that share none would have to be
    // multiplied together first. Drive the pattern from the smallest of
    // them instead; the others join its result by their shared variables.
    bool detached = false;
    {
      std::vector<int> rels;
      for (VarId v : boundVars) {
        int r = f.relOf(v);
        if (std::find(rels.begin(), rels.end(), r) == rels.end()) rels.push_back(r);
      }
      // Only for plain entity ids: a lookup ref or ident bound in an entity
      // position resolves during the lookup and could not join by value.
      bool plainIds = true;
      bool refValue = fx.a && db.schema().get(fx.aVal).isRef();
      for (int p : boundPos) {
        if (p != 0 && p != 3 && !(p == 2 && refValue)) continue;
        VarId v = c.terms[static_cast<size_t>(p)].var;
        const Rel& rel = f.rels[static_cast<size_t>(f.relOf(v))];
        int col = rel.col(v);
        for (size_t i = 0; i < rel.nrows && plainIds; ++i) plainIds = rel.row(i)[col].kind() == Kind::Long;
      }
      if (rels.size() > 1 && plainIds) {
        int driver = rels[0];
        for (int r : rels)
          if (f.rels[static_cast<size_t>(r)].nrows < f.rels[static_cast<size_t>(driver)].nrows) driver = r;
        std::vector<int> keep;
        std::vector<VarId> keepVars;
        for (int p : boundPos) {
          VarId v = c.terms[static_cast<size_t>(p)].var;
          if (f.relOf(v) == driver) {
            keep.push_back(p);
            if (std::find(keepVars.begin(), keepVars.end(), v) == keepVars.end()) keepVars.push_back(v);
          } else {
            freePos.push_back(p);
          }
        }
        std::sort(freePos.begin(), freePos.end());
        boundPos = std::move(keep);
        boundVars = std::move(keepVars);
        detached = true;
      }
    }
    int ri = merge(f, boundVars);
    applyBoundPattern(f, c, db, fx, ri, boundPos, freePos, scanCount, constOrder, siblings);
    if (detached) {
      Rel r = std::move(f.rels[static_cast<size_t>(ri)]);
      f.rels.erase(f.rels.begin() + ri);
      addRel(f, std::move(r));
    }
  }

  // A pattern with variables bound in relation ri: lookups per binding or a
  // scan and a hash join, replacing relation ri.
  void applyBoundPattern(Frame& f, const Clause& c, const Db& db, const Fixed& fx, int ri,
                         const std::vector<int>& boundPos, const std::vector<int>& freePos, double scanCount,
                         IndexOrder constOrder, std::vector<const Clause*>* siblings) {
    Rel& R = f.rels[static_cast<size_t>(ri)];
    // Lookups per distinct binding, or one scan and a hash join.
    double lookups = static_cast<double>(R.nrows);
    // A lookup costs a seek from the root; a scan touches every key under
    // the constant prefix (measured on the benchmark workload: a seek costs
    // about as much as reading a handful of keys).
    // Bound lookup refs and idents naming entities only resolve by lookup.
    bool resolving = needsResolving(db, c, fx, R, boundPos);
    bool useLookup = lookups * kLookupCost < scanCount + lookups || resolving;
    if (useLookup && !resolving && fx.a && boundPos.size() == 1 && boundPos[0] == 0 && db.view() == DbView::Current) {
      std::vector<EntityPart> parts;
      parts.push_back(EntityPart{&c, fx, freePos, {}});
      if (siblings) takeEntitySiblings(f, db, c, R.nrows, parts, *siblings);
      R = entityLookupJoin(db, parts, R, R.col(c.terms[0].var));
      for (const EntityPart& p : parts) logStep("lookup", p.clause->form, R.nrows, "per-entity");
    } else if (useLookup) {
      R = lookupJoin(db, c, fx, R, boundPos, freePos);
      logStep("lookup", c.form, R.nrows, "per-binding");
    } else {
      std::vector<int> allPos = freePos;
      allPos.insert(allPos.end(), boundPos.begin(), boundPos.end());
      std::sort(allPos.begin(), allPos.end());
      Rel s = scanPattern(db, c, fx, allPos);
      R = joinRels(R, s);
      logStep("scan+hash-join", c.form, R.nrows, std::string(indexOrderName(constOrder)));
    }
  }

  bool needsResolving(const Db& db, const Clause& c, const Fixed& fx, const Rel& R, const std::vector<int>& boundPos) {
    bool refValue = fx.a && db.schema().get(fx.aVal).isRef();
    for (int p : boundPos) {
      if (p != 0 && p != 3 && !(p == 2 && refValue)) continue;
      int col = R.col(c.terms[static_cast<size_t>(p)].var);
      for (size_t i = 0; i < R.nrows; ++i)
        if (R.row(i)[col].kind() != Kind::Long) return true;
    }
    return false;
  }

  // Adds the pattern's free variables that `out` lacks as columns; returns
  // the first pattern position of each (the order of the new columns).
  static std::vector<int> appendNewVars(Rel& out, const Clause& c, const std::vector<int>& freePos) {
    std::vector<int> newPos;
    for (int p : freePos) {
      VarId v = c.terms[static_cast<size_t>(p)].var;
      if (out.col(v) < 0) {
        out.vars.push_back(v);
        newPos.push_back(p);
      }
    }
    return newPos;
  }

  // A comparison of a pattern's value variable with a fixed value, answered
  // by a range of the attribute's AVET keys while scanning ([?e :salary ?s]
  // [(> ?s 50000)] reads only the salaries above 50000). The key order
  // refines the order the comparison builtins use (they only add numeric
  // equality across int/double), so along the range a lower bound holds on
  // a suffix and an upper bound on a prefix; each row is still checked.
  struct RangePred {
    const Clause* clause;
    bool lower;      // keeps values above the bound: (> ?v c), (< c ?v)
    bool inclusive;  // <= or >=
    Value bound;
  };

  bool asRangePred(const Frame& f, const Clause& p, VarId v, RangePred& out) {
    if (p.kind != Clause::Kind::Predicate || p.terms.size() != 2) return false;
    if (options_.functions && options_.functions->count(p.name)) return false;
    int op = p.name == "<" ? 0 : p.name == "<=" ? 1 : p.name == ">" ? 2 : p.name == ">=" ? 3 : -1;
    if (op < 0) return false;
    bool varFirst = p.terms[0].isVar() && p.terms[0].var == v;
    bool varSecond = p.terms[1].isVar() && p.terms[1].var == v;
    if (varFirst == varSecond) return false;
    const Term& other = p.terms[varFirst ? 1 : 0];
    Value bound;
    if (other.isConst()) {
      bound = other.constant;
    } else if (other.isVar()) {
      int r = f.relOf(other.var);  // a scalar input: one row
      if (r < 0 || f.rels[static_cast<size_t>(r)].nrows != 1) return false;
      const Rel& rel = f.rels[static_cast<size_t>(r)];
      bound = rel.row(0)[rel.col(other.var)];
    } else {
      return false;
    }
    if (bound.isNil() || bound.isSequential() || !isEncodable(bound)) return false;
    bool greater = op >= 2;
    out = RangePred{&p, greater == varFirst, op == 1 || op == 3, bound};
    return true;
  }

  // Moves from `remaining` the range predicates over the value variable of
  // `c`, a fresh scan of one attribute's current datoms.
  void takeRangePreds(const Frame& f, const Db& db, const Clause& c, const Fixed& fx, std::vector<RangePred>& preds,
                      std::vector<const Clause*>& remaining) {
    if (db.view() != DbView::Current || !fx.a || fx.e || fx.v || c.terms.size() < 3 || !c.terms[2].isVar()) return;
    if (db.schema().get(fx.aVal).isRef()) return;
    VarId v = c.terms[2].var;
    for (size_t i = 0; i < c.terms.size(); ++i)
      if (i != 2 && c.terms[i].isVar() && c.terms[i].var == v) return;
    for (size_t i = 0; i < remaining.size();) {
      RangePred rp;
      if (asRangePred(f, *remaining[i], v, rp)) {
        preds.push_back(std::move(rp));
        remaining.erase(remaining.begin() + static_cast<long>(i));
      } else {
        ++i;
      }
    }
  }

  static bool rangeHolds(const RangePred& p, const Value& v) {
    int c = detail::orderCompare(v, p.bound);
    return p.lower ? (p.inclusive ? c >= 0 : c > 0) : (p.inclusive ? c <= 0 : c < 0);
  }

  Rel scanValueRange(const Db& db, const Clause& c, const Fixed& fx, const std::vector<int>& freePos,
                     const std::vector<RangePred>& preds) {
    Rel r;
    std::vector<int> firstPos;
    for (int p : freePos) {
      VarId v = c.terms[static_cast<size_t>(p)].var;
      if (r.col(v) < 0) {
        r.vars.push_back(v);
        firstPos.push_back(p);
      }
    }
    r.distinct = firstPos.size() == freePos.size() && std::find(freePos.begin(), freePos.end(), 0) != freePos.end();
    const index::BTree& tree = db.currentTree(IndexOrder::AVET);
    std::string attrPrefix;
    encodeUnsigned(fx.aVal, attrPrefix);
    auto valueAt = [](const KeyParts& k) {
      const uint8_t* p = reinterpret_cast<const uint8_t*>(k.value.data());
      return decodeValue(p, p + k.value.size());
    };
    // Start at the highest lower bound; values equal to it as numbers but of
    // another kind (50000.0 for 50000) may sort just before its key.
    const RangePred* from = nullptr;
    for (const RangePred& p : preds)
      if (p.lower && (!from || compareValues(p.bound, from->bound) > 0)) from = &p;
    index::BTree::Iterator it;
    if (from) {
      std::string start = attrPrefix;
      encodeValue(from->bound, start);
      it = tree.lowerBound(start);
      if (from->bound.isNumber()) {
        for (index::BTree::Iterator back = tree.seekBefore(start);
             back.valid() && index::hasKeyPrefix(back.key(), attrPrefix) &&
             detail::orderCompare(valueAt(splitKey(IndexOrder::AVET, back.key(), false)), from->bound) == 0;
             back.prev())
          it = back;
      }
    } else {
      it = tree.lowerBound(attrPrefix);
    }
    std::vector<Value> row(r.vars.size());
    std::vector<Value> posVals(5);
    for (; it.valid() && index::hasKeyPrefix(it.key(), attrPrefix); it.next()) {
      KeyParts k = splitKey(IndexOrder::AVET, it.key(), false);
      if (fx.tx && k.tx != fx.txVal) continue;
      if (fx.added && k.added != fx.addedVal) continue;
      Value v = valueAt(k);
      bool keep = true, past = false;
      for (const RangePred& p : preds) {
        if (rangeHolds(p, v)) continue;
        keep = false;
        past = past || !p.lower;  // an upper bound fails from here on
      }
      if (past) break;
      if (!keep) continue;
      for (int p : freePos) posVals[static_cast<size_t>(p)] = p == 2 ? v : positionValue(db, IndexOrder::AVET, k, p);
      if (!repeatedVarsAgree(c, freePos, posVals)) continue;
      for (size_t i = 0; i < firstPos.size(); ++i) row[i] = posVals[static_cast<size_t>(firstPos[i])];
      r.addRow(row.data());
    }
    return r;
  }

  // One pattern of an entity lookup join: [?e :attr ...] with ?e bound and
  // the attribute constant.
  struct EntityPart {
    const Clause* clause;
    Fixed fixed;
    std::vector<int> freePos;
    std::vector<int> newPos;        // free positions that add a column
    std::string attrBytes, rest;    // the AEVT prefix is attrBytes + entity + rest
    index::BTree::Iterator it;      // walks the attribute's AEVT range forward
    bool started = false;
    std::vector<Value> matches;     // newPos.size() values per match
    size_t matchCount = 0;
  };

  // Moves from `remaining` the patterns that can join in the same pass as
  // `c`: same source and entity variable, a constant attribute of their own,
  // no other bound variable, fresh variables that no other part binds, and a
  // lookup cheaper than a scan. Visiting an entity's attributes one after the
  // other keeps its leaf in cache (q4 looks up three attributes per entity).
  void takeEntitySiblings(const Frame& f, const Db& db, const Clause& c, size_t lookups,
                          std::vector<EntityPart>& parts, std::vector<const Clause*>& remaining) {
    VarId ev = c.terms[0].var;
    std::vector<VarId> used;
    auto addVars = [&](const Clause& k) {
      for (size_t i = 1; i < k.terms.size(); ++i)
        if (k.terms[i].isVar()) used.push_back(k.terms[i].var);
    };
    addVars(c);
    for (size_t i = 0; i < remaining.size();) {
      const Clause& s = *remaining[i];
      bool ok = s.kind == Clause::Kind::Pattern && s.source == c.source && s.terms.size() >= 2 &&
                s.terms[0].isVar() && s.terms[0].var == ev && s.terms[1].isConst();
      Fixed fx;
      ok = ok && resolveConstants(db, s, fx) && fx.a;
      for (const EntityPart& p : parts) ok = ok && p.fixed.aVal != fx.aVal;
      for (size_t k = 1; ok && k < s.terms.size(); ++k) {
        const Term& t = s.terms[k];
        if (!t.isVar()) continue;
        if (f.bound(t.var) || std::find(used.begin(), used.end(), t.var) != used.end()) ok = false;
      }
      if (ok) {
        std::string prefix;
        IndexOrder order = chooseIndex(db, fx, prefix);
        double scan = static_cast<double>(countPrefix(db.currentTree(order), prefix));
        double n = static_cast<double>(lookups);
        ok = n * kLookupCost < scan + n;
      }
      if (!ok) {
        ++i;
        continue;
      }
      std::vector<int> freePos;
      for (size_t k = 1; k < s.terms.size(); ++k)
        if (s.terms[k].isVar()) freePos.push_back(static_cast<int>(k));
      addVars(s);
      parts.push_back(EntityPart{&s, fx, std::move(freePos), {}});
      remaining.erase(remaining.begin() + static_cast<long>(i));
    }
  }

  // The most common join step: the entity is bound and the attribute is a
  // constant ([?e :age ?a] once ?e is known). Rows are visited in entity
  // order; each part walks its attribute's AEVT range with a forward-seeking
  // iterator (a merge join that skips: the entities of one attribute sit
  // next to each other, so consecutive probes stay in cache), without the
  // per-binding bookkeeping of lookupJoin; rows sharing an entity reuse its
  // matches. An entity stops at its first part without a match; parts with
  // a constant value (filters) go first.
  Rel entityLookupJoin(const Db& db, std::vector<EntityPart>& parts, const Rel& R, int eCol) {
    std::vector<size_t> visit(parts.size());
    for (size_t i = 0; i < parts.size(); ++i) visit[i] = i;
    std::stable_sort(visit.begin(), visit.end(),
                     [&](size_t x, size_t y) { return parts[x].fixed.v && !parts[y].fixed.v; });
    Rel out;
    out.vars = R.vars;
    out.distinct = R.distinct;
    for (EntityPart& p : parts) {
      p.newPos = appendNewVars(out, *p.clause, p.freePos);
      // Datoms of one entity and attribute differ by value: keeping the value
      // (or adding no column) keeps a duplicate-free relation duplicate-free.
      out.distinct = out.distinct && (p.fixed.v || p.newPos.empty() ||
                                      std::find(p.newPos.begin(), p.newPos.end(), 2) != p.newPos.end());
      encodeUnsigned(p.fixed.aVal, p.attrBytes);
      if (p.fixed.v) {
        p.rest = p.fixed.vEnc;
        if (p.fixed.tx) encodeUnsigned(static_cast<uint64_t>(p.fixed.txVal - kTx0), p.rest);
      }
    }
    std::vector<uint32_t> byEntity(R.nrows);
    bool sorted = true;
    for (uint32_t i = 0; i < R.nrows; ++i) {
      byEntity[i] = i;
      if (i > 0 && R.row(i)[eCol].asLong() < R.row(i - 1)[eCol].asLong()) sorted = false;
    }
    if (!sorted)
      std::stable_sort(byEntity.begin(), byEntity.end(),
                       [&](uint32_t x, uint32_t y) { return R.row(x)[eCol].asLong() < R.row(y)[eCol].asLong(); });
    const index::BTree& tree = db.currentTree(IndexOrder::AEVT);
    std::string prefix;
    std::vector<Value> posVals(5);
    std::vector<Value> row(out.vars.size());
    std::vector<size_t> pick(parts.size());
    int64_t current = -1;
    bool entityMatches = false;
    const size_t width = R.vars.size();
    out.cells.reserve(R.nrows * out.vars.size());
    for (uint32_t ri : byEntity) {
      const Value* rr = R.row(ri);
      int64_t e = rr[eCol].asLong();
      if (e != current) {
        current = e;
        entityMatches = e > 0;
        for (size_t vi = 0; vi < visit.size() && entityMatches; ++vi) {
          EntityPart& p = parts[visit[vi]];
          const Fixed& fx = p.fixed;
          const Clause& c = *p.clause;
          p.matches.clear();
          p.matchCount = 0;
          prefix = p.attrBytes;
          encodeUnsigned(static_cast<uint64_t>(e), prefix);
          prefix += p.rest;
          index::BTree::Iterator& it = p.it;
          if (!p.started) {
            it = tree.lowerBound(prefix);
            p.started = true;
          } else {
            it.seekForward(prefix);
          }
          for (; it.valid() && index::hasKeyPrefix(it.key(), prefix); it.next()) {
            KeyParts k = splitKey(IndexOrder::AEVT, it.key(), false);
            if (fx.v && k.value != fx.vEnc) continue;
            if (fx.tx && k.tx != fx.txVal) continue;
            if (fx.added && k.added != fx.addedVal) continue;
            for (int q : p.freePos) posVals[static_cast<size_t>(q)] = positionValue(db, IndexOrder::AEVT, k, q);
            if (!repeatedVarsAgree(c, p.freePos, posVals)) continue;
            for (int q : p.newPos) p.matches.push_back(posVals[static_cast<size_t>(q)]);
            ++p.matchCount;
          }
          entityMatches = p.matchCount > 0;
        }
      }
      if (!entityMatches) continue;
      // One output row per combination of the parts' matches (pure filters
      // such as [?e :sex :male] add no column and keep the row once).
      std::fill(pick.begin(), pick.end(), 0);
      for (;;) {
        size_t col = 0;
        for (; col < width; ++col) row[col] = rr[col];
        for (size_t pi = 0; pi < parts.size(); ++pi) {
          const EntityPart& p = parts[pi];
          if (p.newPos.empty()) continue;
          for (size_t i = 0; i < p.newPos.size(); ++i) row[col++] = p.matches[pick[pi] * p.newPos.size() + i];
        }
        out.addRow(row.data());
        size_t pi = parts.size();
        while (pi-- > 0) {
          const EntityPart& p = parts[pi];
          if (p.newPos.empty()) continue;
          if (++pick[pi] < p.matchCount) break;
          pick[pi] = 0;
        }
        if (pi == SIZE_MAX) break;
      }
    }
    return out;
  }

  Rel lookupJoin(const Db& db, const Clause& c, const Fixed& base, const Rel& R, const std::vector<int>& boundPos,
                 const std::vector<int>& freePos) {
    Rel out;
    out.vars = R.vars;
    std::vector<int> newPos = appendNewVars(out, c, freePos);
    std::vector<int> boundCols;
    for (int p : boundPos) boundCols.push_back(R.col(c.terms[static_cast<size_t>(p)].var));
    const Attribute* attr = base.a ? &db.schema().get(base.aVal) : nullptr;
    // Group rows by their bound values: one lookup per distinct binding.
    std::unordered_map<size_t, std::vector<uint32_t>> groups;
    std::vector<uint32_t> order;
    for (size_t i = 0; i < R.nrows; ++i) {
      size_t h = hashCols(R.row(i), boundCols);
      auto& g = groups[h];
      bool placed = false;
      // Rows with equal hashes but different values go to separate lookups.
      if (!g.empty() && equalCols(R.row(g.front()), boundCols, R.row(i), boundCols)) placed = true;
      if (!placed && !g.empty()) {
        order.push_back(static_cast<uint32_t>(i));  // rare collision: its own lookup
        continue;
      }
      if (g.empty()) order.push_back(static_cast<uint32_t>(i));
      g.push_back(static_cast<uint32_t>(i));
    }
    std::vector<Value> row(out.vars.size());
    std::vector<Value> posVals(5);
    std::vector<Probe> probes;
    probes.reserve(order.size());
    for (uint32_t lead : order) {
      const Value* lr = R.row(lead);
      Fixed fx = base;
      bool ok = true;
      for (size_t k = 0; k < boundPos.size() && ok; ++k) {
        const Value& val = lr[boundCols[k]];
        switch (boundPos[k]) {
          case 0: {
            int64_t e;
            ok = fixEntity(db, val, e) && (!fx.e || fx.eVal == e);
            fx.e = true;
            fx.eVal = e;
            break;
          }
          case 1: {
            if (!val.isKeyword()) {
              ok = false;
              break;
            }
            const Attribute* a = db.attribute(val.asKeyword());
            ok = a && (!fx.a || fx.aVal == a->id);
            if (ok) {
              fx.a = true;
              fx.aVal = a->id;
            }
            break;
          }
          case 2: {
            const Attribute* a = fx.a ? &db.schema().get(fx.aVal) : attr;
            std::string prev = fx.v ? fx.vEnc : std::string();
            ok = fixValue(db, a, val, fx) && (prev.empty() || prev == fx.vEnc);
            break;
          }
          case 3: {
            int64_t t;
            ok = fixEntity(db, val, t) && t > kTx0 && (!fx.tx || fx.txVal == t);
            fx.tx = true;
            fx.txVal = t;
            break;
          }
          case 4:
            ok = val.kind() == Kind::Boolean && (!fx.added || fx.addedVal == val.asBool());
            fx.added = true;
            fx.addedVal = val.asBool();
            break;
        }
      }
      if (!ok) continue;
      auto it = groups.find(hashCols(lr, boundCols));
      Probe probe;
      if (it != groups.end() && !it->second.empty() && it->second.front() == lead) probe.rows = it->second;
      else probe.rows = {lead};
      probe.order = chooseIndex(db, fx, probe.prefix);
      probe.vCompare = fx.vEnc;
      if (fx.v && probe.order == IndexOrder::VAET) {
        const uint8_t* p = reinterpret_cast<const uint8_t*>(fx.vEnc.data());
        Value target = decodeValue(p, p + fx.vEnc.size());
        probe.vCompare.clear();
        encodeUnsigned(static_cast<uint64_t>(target.asLong()), probe.vCompare);
      }
      probe.fx = std::move(fx);
      probes.push_back(std::move(probe));
    }
    auto emit = [&](const Probe& pr, IndexOrder ord, const KeyParts& k) {
      for (int p : freePos) posVals[static_cast<size_t>(p)] = positionValue(db, ord, k, p);
      if (!repeatedVarsAgree(c, freePos, posVals)) return;
      for (uint32_t ri : pr.rows) {
        const Value* rr = R.row(ri);
        for (size_t i = 0; i < R.vars.size(); ++i) row[i] = rr[i];
        for (size_t i = 0; i < newPos.size(); ++i) row[R.vars.size() + i] = posVals[static_cast<size_t>(newPos[i])];
        out.addRow(row.data());
      }
    };
    if (db.view() != DbView::Current) {
      for (const Probe& pr : probes) scanFixed(db, pr.fx, [&](IndexOrder ord, const KeyParts& k) { emit(pr, ord, k); });
      return out;
    }
    // Current view: visit the probes in key order with one iterator per
    // index, seeking forward (usually within the same leaf) instead of
    // descending from the root for every binding.
    std::vector<uint32_t> byKey(probes.size());
    for (uint32_t i = 0; i < byKey.size(); ++i) byKey[i] = i;
    std::sort(byKey.begin(), byKey.end(), [&](uint32_t x, uint32_t y) {
      const Probe& a = probes[x];
      const Probe& b = probes[y];
      return a.order != b.order ? a.order < b.order : a.prefix < b.prefix;
    });
    index::BTree::Iterator it;
    const Probe* prev = nullptr;
    for (uint32_t pi : byKey) {
      const Probe& pr = probes[pi];
      if (!prev || prev->order != pr.order || prev->prefix == pr.prefix) it = db.currentTree(pr.order).lowerBound(pr.prefix);
      else it.seekForward(pr.prefix);
      prev = &pr;
      for (; it.valid() && index::hasKeyPrefix(it.key(), pr.prefix); it.next()) {
        KeyParts k = splitKey(pr.order, it.key(), false);
        if (pr.fx.e && k.e != pr.fx.eVal) continue;
        if (pr.fx.a && k.a != pr.fx.aVal) continue;
        if (pr.fx.v && k.value != pr.vCompare) continue;
        if (pr.fx.tx && k.tx != pr.fx.txVal) continue;
        if (pr.fx.added && k.added != pr.fx.addedVal) continue;
        emit(pr, pr.order, k);
      }
    }
    return out;
  }

  struct Probe {
    Fixed fx;
    std::string prefix;
    IndexOrder order = IndexOrder::EAVT;
    std::string vCompare;         // the value bytes as they appear in keys of `order`
    std::vector<uint32_t> rows;   // rows of R sharing this binding
  };

  void applyCollectionPattern(Frame& f, const Clause& c, const Source& src) {
    Rel r;
    std::vector<int> firstPos;
    for (size_t i = 0; i < c.terms.size(); ++i) {
      const Term& t = c.terms[i];
      if (t.isVar() && r.col(t.var) < 0) {
        r.vars.push_back(t.var);
        firstPos.push_back(static_cast<int>(i));
      }
    }
    std::vector<Value> row(r.vars.size());
    for (const auto& tuple : src.tuples) {
      if (tuple.size() < c.terms.size()) continue;
      bool ok = true;
      for (size_t i = 0; i < c.terms.size() && ok; ++i) {
        const Term& t = c.terms[i];
        if (t.isConst()) ok = tuple[i] == t.constant;
        if (t.isVar()) {
          int col = r.col(t.var);
          if (firstPos[static_cast<size_t>(col)] != static_cast<int>(i))
            ok = tuple[i] == tuple[static_cast<size_t>(firstPos[static_cast<size_t>(col)])];
        }
      }
      if (!ok) continue;
      for (size_t i = 0; i < firstPos.size(); ++i) row[i] = tuple[static_cast<size_t>(firstPos[i])];
      r.addRow(row.data());
    }
    logStep("collection-scan", c.form, r.nrows);
    addRel(f, std::move(r));
  }

  void killFrame(Frame& f) {
    Rel empty;
    f.rels.push_back(std::move(empty));  // zero rows
  }

  // ---------------------------------------------------------------- calls
  std::vector<VarId> argVars(const Clause& c) {
    std::vector<VarId> vs;
    for (const Term& t : c.terms)
      if (t.isVar() && std::find(vs.begin(), vs.end(), t.var) == vs.end()) vs.push_back(t.var);
    return vs;
  }

  // Evaluates one call for one row. Db-aware built-ins are handled here.
  // What a call clause invokes, resolved once per clause (not per row).
  struct Callee {
    enum class Kind : uint8_t { Db, Host, Builtin } kind = Kind::Builtin;
    const HostFunction* host = nullptr;
    const Builtin* builtin = nullptr;
  };

  Callee resolveCallee(const Clause& c) {
    const std::string& fn = c.name;
    Callee callee;
    if (fn == "get-else" || fn == "get-some" || fn == "missing?") {
      callee.kind = Callee::Kind::Db;
      return callee;
    }
    if (options_.functions) {
      auto it = options_.functions->find(fn);
      if (it != options_.functions->end()) {
        callee.kind = Callee::Kind::Host;
        callee.host = &it->second;
        return callee;
      }
    }
    callee.builtin = findBuiltin(fn);
    if (!callee.builtin) raise(ErrorCode::InvalidInput, "Unknown function '" + fn + "' in " + show(c.form));
    int n = static_cast<int>(c.terms.size());
    if (n < callee.builtin->minArgs || (callee.builtin->maxArgs >= 0 && n > callee.builtin->maxArgs))
      raise(ErrorCode::InvalidInput, "Wrong number of arguments (" + std::to_string(n) + ") to '" + fn + "' in " +
                                         show(c.form));
    return callee;
  }

  // Evaluates one call for one row.
  Value call(const Callee& callee, const Clause& c, const std::vector<Value>& args) {
    switch (callee.kind) {
      case Callee::Kind::Db: return callDbFunction(c, args);
      case Callee::Kind::Host: return (*callee.host)(std::span<const Value>(args));
      case Callee::Kind::Builtin: break;
    }
    return callee.builtin->fn(std::span<const Value>(args));
  }

  const Db& sourceArg(const Clause& c, const Value& v) {
    if (!v.isSymbol() || v.interned().full.empty() || v.interned().full[0] != '$')
      raise(ErrorCode::InvalidInput, "Expected a source ($) as the first argument of " + show(c.form));
    const Source& s = source(v.interned().full);
    if (!s.isDb) raise(ErrorCode::InvalidInput, c.name + " needs a database source in " + show(c.form));
    return *s.db;
  }

  Value firstValue(const Db& db, const Value& e, const Value& a) {
    if (!a.isKeyword()) raise(ErrorCode::InvalidInput, "Expected an attribute keyword, got " + show(a));
    Value comps[] = {e, a};
    int64_t eid = db.entid(e);
    if (eid <= 0) return Value();
    comps[0] = Value::integer(eid);
    auto found = db.datoms(IndexOrder::EAVT, comps);
    return found.empty() ? Value() : found.front().v;
  }

  Value callDbFunction(const Clause& c, const std::vector<Value>& args) {
    const std::string& fn = c.name;
    if (args.empty()) raise(ErrorCode::InvalidInput, "Wrong number of arguments to '" + fn + "'");
    const Db& db = sourceArg(c, args[0]);
    if (fn == "get-else") {
      if (args.size() != 4) raise(ErrorCode::InvalidInput, "get-else takes ($ ?e :attr default): " + show(c.form));
      const Attribute* a = args[2].isKeyword() ? db.attribute(args[2].asKeyword()) : nullptr;
      if (a && a->many) raise(ErrorCode::InvalidInput, "get-else does not support cardinality many: " + show(c.form));
      if (args[3].isNil()) raise(ErrorCode::InvalidInput, "get-else default cannot be nil: " + show(c.form));
      Value v = firstValue(db, args[1], args[2]);
      return v.isNil() ? args[3] : v;
    }
    if (fn == "get-some") {
      if (args.size() < 3) raise(ErrorCode::InvalidInput, "get-some takes ($ ?e :attr ...): " + show(c.form));
      for (size_t i = 2; i < args.size(); ++i) {
        Value v = firstValue(db, args[1], args[i]);
        if (!v.isNil()) return Value::vector({args[i], v});
      }
      return Value();
    }
    // missing?
    if (args.size() != 3) raise(ErrorCode::InvalidInput, "missing? takes ($ ?e :attr): " + show(c.form));
    return Value::boolean(firstValue(db, args[1], args[2]).isNil());
  }

  void applyPredicateOrFunction(Frame& f, const Clause& c) {
    Callee callee = resolveCallee(c);
    std::vector<VarId> vars = argVars(c);
    int ri = merge(f, vars);
    Rel input = ri >= 0 ? std::move(f.rels[static_cast<size_t>(ri)]) : unitRel();
    std::vector<int> cols;
    for (const Term& t : c.terms) cols.push_back(t.isVar() ? input.col(t.var) : -1);
    std::vector<Value> args(c.terms.size());
    auto fillArgs = [&](const Value* row) {
      for (size_t i = 0; i < c.terms.size(); ++i) args[i] = cols[i] >= 0 ? row[cols[i]] : c.terms[i].constant;
    };
    Rel out;
    if (c.kind == Clause::Kind::Predicate) {
      out.vars = input.vars;
      out.distinct = input.distinct;  // a subset of a set
      for (size_t i = 0; i < input.nrows; ++i) {
        fillArgs(input.row(i));
        if (truthy(call(callee, c, args))) out.addRow(input.row(i));
      }
      logStep("predicate", c.form, out.nrows);
    } else {
      // Binding: new columns (vars already bound are compared instead).
      const Binding& b = c.binding;
      out.vars = input.vars;
      std::vector<VarId> outVars;
      std::vector<int> existing;  // column in input for already-bound binding vars
      for (VarId v : b.vars) {
        if (v == kNoVar) continue;
        if (f.bound(v) && input.col(v) < 0) {
          // Bound in another relation: join afterwards via a fresh relation.
        }
      }
      for (VarId v : b.vars) {
        if (v == kNoVar || std::find(outVars.begin(), outVars.end(), v) != outVars.end()) continue;
        outVars.push_back(v);
      }
      // Vars bound elsewhere in the frame are produced as columns and joined.
      Rel produced;
      produced.vars = input.vars;
      for (VarId v : outVars)
        if (input.col(v) < 0) produced.vars.push_back(v);
      std::vector<Value> row(produced.vars.size());
      auto emitRow = [&](const Value* in, const std::vector<Value>& bvals) {
        for (size_t i = 0; i < input.vars.size(); ++i) row[i] = in[i];
        size_t k = input.vars.size();
        for (VarId v : outVars) {
          // Value for v: first position in the binding.
          Value val;
          for (size_t i = 0; i < b.vars.size(); ++i)
            if (b.vars[i] == v) {
              val = bvals[i];
              break;
            }
          // Repeated binding vars must agree.
          for (size_t i = 0; i < b.vars.size(); ++i)
            if (b.vars[i] == v && compareValues(bvals[i], val) != 0) return;
          int ic = input.col(v);
          if (ic >= 0) {
            if (compareValues(in[ic], val) != 0) return;
          } else {
            row[k++] = val;
          }
        }
        produced.addRow(row.data());
      };
      for (size_t i = 0; i < input.nrows; ++i) {
        const Value* in = input.row(i);
        fillArgs(in);
        Value result = call(callee, c, args);
        if (result.isNil()) continue;  // nil results bind nothing
        switch (b.kind) {
          case Binding::Kind::Blank: produced.addRow(in); break;
          case Binding::Kind::Scalar: emitRow(in, {result}); break;
          case Binding::Kind::Tuple: {
            if (!result.isSequential() && !result.isSet())
              raise(ErrorCode::TypeMismatch, "Cannot bind " + show(result) + " to a tuple in " + show(c.form));
            const auto& items = result.items();
            if (items.size() < b.vars.size())
              raise(ErrorCode::TypeMismatch, "Not enough elements in " + show(result) + " for " + show(c.form));
            emitRow(in, std::vector<Value>(items.begin(), items.begin() + static_cast<long>(b.vars.size())));
            break;
          }
          case Binding::Kind::Collection:
            if (!result.isCollection())
              raise(ErrorCode::TypeMismatch, "Cannot bind " + show(result) + " to a collection in " + show(c.form));
            for (const Value& x : result.items()) emitRow(in, {x});
            break;
          case Binding::Kind::Relation:
            if (!result.isCollection())
              raise(ErrorCode::TypeMismatch, "Cannot bind " + show(result) + " to a relation in " + show(c.form));
            for (const Value& t : result.items()) {
              if (!t.isSequential() || t.count() < b.vars.size())
                raise(ErrorCode::TypeMismatch, "Cannot bind " + show(t) + " to a relation tuple in " + show(c.form));
              emitRow(in, std::vector<Value>(t.items().begin(), t.items().begin() + static_cast<long>(b.vars.size())));
            }
            break;
        }
      }
      out = std::move(produced);
      logStep("function", c.form, out.nrows);
    }
    if (ri >= 0) {
      f.rels[static_cast<size_t>(ri)] = std::move(out);
      // New columns may share variables with other relations: rejoin.
      Rel r = std::move(f.rels[static_cast<size_t>(ri)]);
      f.rels.erase(f.rels.begin() + ri);
      addRel(f, std::move(r));
    } else {
      addRel(f, std::move(out));
    }
  }

  // ---------------------------------------------------------------- not / or
  Frame subFrame(Frame& f, const std::vector<VarId>& seedVars) {
    Frame sub;
    sub.names = f.names;
    std::vector<VarId> bound;
    for (VarId v : seedVars)
      if (f.bound(v)) bound.push_back(v);
    if (!bound.empty()) sub.rels.push_back(project(f, bound));
    return sub;
  }

  void applyNot(Frame& f, const Clause& c) {
    std::vector<VarId> joinBound;
    for (VarId v : c.joinVars)
      if (f.bound(v)) joinBound.push_back(v);
    if (joinBound.empty())
      raise(ErrorCode::InvalidInput, "Insufficient bindings: none of the variables of " + show(c.form) + " is bound");
    Frame sub = subFrame(f, joinBound);
    ++negDepth_;
    try {
      run(sub, c.branches[0]);
    } catch (...) {
      --negDepth_;
      throw;
    }
    --negDepth_;
    Rel matched = sub.isEmpty() ? Rel{joinBound, {}, 0} : project(sub, joinBound);
    // Anti-join.
    int ri = merge(f, joinBound);
    Rel& R = f.rels[static_cast<size_t>(ri)];
    std::vector<int> rc, mc;
    for (VarId v : joinBound) {
      rc.push_back(R.col(v));
      mc.push_back(matched.col(v));
    }
    RowTable table(matched.cells.data(), matched.width(), mc, matched.nrows);
    for (size_t i = 0; i < matched.nrows; ++i) table.add(static_cast<uint32_t>(i));
    Rel out;
    out.vars = R.vars;
    for (size_t i = 0; i < R.nrows; ++i) {
      const Value* row = R.row(i);
      if (!table.contains(row, rc)) out.addRow(row);
    }
    logStep("not", c.form, out.nrows);
    R = std::move(out);
  }

  void applyOr(Frame& f, const Clause& c) {
    Rel unionRel;
    unionRel.vars = c.joinVars;
    RowSet seen;
    for (const Clauses& branch : c.branches) {
      Frame sub = subFrame(f, c.joinVars);
      run(sub, branch);
      if (sub.isEmpty()) continue;
      for (VarId v : c.joinVars)
        if (!sub.bound(v))
          raise(ErrorCode::InvalidInput, "Insufficient bindings: " + varName(*f.names, v) + " not bound in a branch of " +
                                             show(c.form));
      Rel part = project(sub, c.joinVars);
      std::vector<Value> key(c.joinVars.size());
      for (size_t i = 0; i < part.nrows; ++i) {
        const Value* row = part.row(i);
        key.assign(row, row + part.width());
        if (seen.insert(key).second) unionRel.addRow(row);
      }
    }
    logStep("or", c.form, unionRel.nrows);
    addRel(f, std::move(unionRel));
  }

  // ---------------------------------------------------------------- rules
  struct RuleTable {
    std::string name;
    std::string source;  // the default source of the body
    std::vector<bool> mask;
    Rel seeds;  // one column per bound argument position
    std::unique_ptr<DistinctRows> seedIndex;
    Rel facts;  // columns 0..arity-1 (as pseudo vars)
    std::unique_ptr<DistinctRows> factIndex;  // over facts (the table does not move)
    // Facts hashed on the bound (masked) positions, built when a call with
    // few seeds first reads the table: a long recursive chain otherwise
    // rescans every fact in every round.
    std::unique_ptr<RowTable> factsBySeed;
    std::vector<int> maskCols;
    // Semi-naive bookkeeping: what the previous round added (delta) and
    // which seeds have not been evaluated yet.
    size_t roundStart = 0, deltaLo = 0, deltaHi = 0;
    size_t seedsDone = 0;
    bool evaluated = false;
  };

  const Rule* firstRule(const std::string& name) const {
    for (const Rule& r : rules_.rules)
      if (r.name == name) return &r;
    return nullptr;
  }

  RuleTable* findTable(const std::string& name, const std::string& src, const std::vector<bool>& mask) {
    for (auto& t : tables_)
      if (t->name == name && t->source == src && t->mask == mask) return t.get();
    return nullptr;
  }

  RuleTable& table(const std::string& name, const std::string& src, const std::vector<bool>& mask, size_t arity) {
    if (RuleTable* t = findTable(name, src, mask)) return *t;
    auto t = std::make_unique<RuleTable>();
    t->name = name;
    t->source = src;
    t->mask = mask;
    for (size_t i = 0; i < arity; ++i) t->facts.vars.push_back(static_cast<VarId>(i));
    t->factIndex = std::make_unique<DistinctRows>(t->facts, 64);
    for (size_t i = 0; i < arity; ++i)
      if (mask[i]) {
        t->seeds.vars.push_back(static_cast<VarId>(i));
        t->maskCols.push_back(static_cast<int>(i));
      }
    t->seedIndex = std::make_unique<DistinctRows>(t->seeds, 64);
    tables_.push_back(std::move(t));
    return *tables_.back();
  }

  void applyRuleCall(Frame& f, const Clause& c) {
    const Rule* rule = firstRule(c.name);
    if (!rule) raise(ErrorCode::InvalidInput, "Unknown rule '" + c.name + "' in " + show(c.form));
    size_t arity = rule->arity();
    if (c.terms.size() != arity)
      raise(ErrorCode::InvalidInput, "Rule '" + c.name + "' takes " + std::to_string(arity) + " arguments: " +
                                         show(c.form));
    std::vector<bool> mask(arity);
    std::vector<VarId> boundVars;
    for (size_t i = 0; i < arity; ++i) {
      const Term& t = c.terms[i];
      mask[i] = t.isConst() || (t.isVar() && f.bound(t.var));
      if (i < rule->required.size() && !mask[i])
        raise(ErrorCode::InvalidInput, "Insufficient bindings: rule '" + c.name + "' requires argument " +
                                           std::to_string(i + 1) + " bound in " + show(c.form));
      if (t.isVar() && mask[i] && std::find(boundVars.begin(), boundVars.end(), t.var) == boundVars.end())
        boundVars.push_back(t.var);
    }
    if (&c == deltaClause_ && evaluatingTable_ != SIZE_MAX) {
      applyDeltaCall(f, c);
      return;
    }
    std::string src = c.source == "$" ? defaultSource_ : c.source;
    // Once the rule is being solved unbound, that table will hold all of
    // its facts: a bound call reads it (its bound arguments join the facts)
    // rather than solving the rule a second time for its own seeds. A
    // recursive rule called unbound then is plain semi-naive evaluation.
    // Not for references that resolve (a lookup ref or ident as an
    // argument): the masked table keeps them as given, the unbound one holds
    // entity ids.
    if (findTable(c.name, src, std::vector<bool>(arity, false)) && !boundResolvable(f, c, mask)) {
      std::fill(mask.begin(), mask.end(), false);
      boundVars.clear();
    }
    RuleTable& t = table(c.name, src, mask, arity);
    if (evaluatingTable_ != SIZE_MAX) {
      std::vector<RuleTable*>& read = callTables_[{evaluatingTable_, &c}];
      if (std::find(read.begin(), read.end(), &t) == read.end()) read.push_back(&t);
    }
    // Seeds: the bound argument values of every binding.
    Rel bindings = boundVars.empty() ? unitRel() : project(f, boundVars);
    std::vector<Value> seed;
    Rel callSeeds;  // this call's distinct seeds
    callSeeds.vars = t.seeds.vars;
    DistinctRows callSeedSet(callSeeds, bindings.nrows);
    for (size_t r = 0; r < bindings.nrows; ++r) {
      seed.clear();
      for (size_t i = 0; i < arity; ++i) {
        if (!mask[i]) continue;
        const Term& term = c.terms[i];
        seed.push_back(term.isConst() ? term.constant : bindings.row(r)[bindings.col(term.var)]);
      }
      if (seed.empty()) {
        // An unbound call: its table has no seeds, only a first evaluation.
        continue;
      }
      callSeedSet.add(seed.data());
      if (t.seedIndex->add(seed.data())) markChanged();
    }
    if (!inFixpoint_) solveRules(nullptr);
    else if (negDepth_ > 0) solveNegated(c.name);
    // Join the facts with the call.
    Rel r;
    std::vector<int> firstPos = callColumns(c, r);
    std::vector<Value> row(r.vars.size());
    // In a semi-naive round, the call marked as the delta reads only the
    // facts its table gained in the previous round.
    size_t from = 0, to = t.facts.nrows;
    if (&c == deltaClause_) {
      from = t.deltaLo;
      to = t.deltaHi;
    }
    auto consider = [&](size_t k) { addFactRow(c, firstPos, t.facts.row(k), r, row); };
    // A call whose seeds are a small part of its table's (a recursive call
    // from one new seed) reads only their facts, through an index built on
    // first use; wide calls and semi-naive delta reads scan, which costs no
    // more than producing those facts did.
    bool fewSeeds = !t.maskCols.empty() && callSeeds.nrows > 0 && callSeeds.nrows * 4 < t.seeds.nrows;
    if (fewSeeds && &c != deltaClause_) {
      if (!t.factsBySeed) {
        t.factsBySeed = std::make_unique<RowTable>(t.facts.cells.data(), arity, t.maskCols, t.facts.nrows);
        for (size_t k = 0; k < t.facts.nrows; ++k) t.factsBySeed->add(static_cast<uint32_t>(k));
      }
      std::vector<int> seedCols(callSeeds.width());
      for (size_t i = 0; i < seedCols.size(); ++i) seedCols[i] = static_cast<int>(i);
      t.factsBySeed->rebase(t.facts.cells.data());
      for (size_t si = 0; si < callSeeds.nrows; ++si)
        t.factsBySeed->forEachMatch(callSeeds.row(si), seedCols, [&](uint32_t k) {
          if (k >= from && k < to) consider(k);
        });
    } else {
      for (size_t k = from; k < to; ++k) consider(k);
    }
    logStep("rule", c.form, r.nrows);
    addRel(f, std::move(r));
  }

  // Columns of a rule call's result: its distinct variables; returns each
  // one's first argument position. Facts are distinct, so reading them
  // through distinct variables only (no constant, blank or repeated
  // variable) keeps the rows distinct.
  static std::vector<int> callColumns(const Clause& c, Rel& r) {
    std::vector<int> firstPos;
    for (size_t i = 0; i < c.terms.size(); ++i) {
      const Term& term = c.terms[i];
      if (term.isVar() && r.col(term.var) < 0) {
        r.vars.push_back(term.var);
        firstPos.push_back(static_cast<int>(i));
      }
    }
    r.distinct = firstPos.size() == c.terms.size() &&
                 std::all_of(c.terms.begin(), c.terms.end(), [](const Term& x) { return x.isVar(); });
    return firstPos;
  }

  // Adds a fact to a call's result when it matches the call's constants and
  // repeated variables.
  static void addFactRow(const Clause& c, const std::vector<int>& firstPos, const Value* fact, Rel& r,
                         std::vector<Value>& row) {
    for (size_t i = 0; i < c.terms.size(); ++i) {
      const Term& term = c.terms[i];
      if (term.isConst()) {
        if (!(fact[i] == term.constant)) return;
      } else if (term.isVar()) {
        if (compareValues(fact[i], fact[firstPos[static_cast<size_t>(r.col(term.var))]]) != 0) return;
      }
    }
    for (size_t i = 0; i < firstPos.size(); ++i) row[i] = fact[firstPos[i]];
    r.addRow(row.data());
  }

  // Whether a bound argument of the call holds a keyword or a vector (an
  // ident or a lookup ref the rule body may resolve).
  bool boundResolvable(const Frame& f, const Clause& c, const std::vector<bool>& mask) {
    auto resolvable = [](const Value& v) { return v.isKeyword() || v.isSequential(); };
    for (size_t i = 0; i < c.terms.size(); ++i) {
      if (!mask[i]) continue;
      const Term& t = c.terms[i];
      if (t.isConst()) {
        if (resolvable(t.constant)) return true;
        continue;
      }
      const Rel& rel = f.rels[static_cast<size_t>(f.relOf(t.var))];
      int col = rel.col(t.var);
      for (size_t r = 0; r < rel.nrows; ++r)
        if (resolvable(rel.row(r)[col])) return true;
    }
    return false;
  }

  // A semi-naive delta read: the facts the call's tables gained in the
  // previous round, whatever is bound yet (bound variables join after).
  // Read first, the delta drives the round: a recursive rule then costs
  // lookups per new fact instead of a rerun of its body for every old seed.
  // The facts of any table of the rule are true facts of it, so reading
  // every table the call used is sound; it is complete because each of
  // those tables got the seeds this branch passed it when it last ran.
  void applyDeltaCall(Frame& f, const Clause& c) {
    Rel r;
    std::vector<int> firstPos = callColumns(c, r);
    std::vector<Value> row(r.vars.size());
    auto found = callTables_.find({evaluatingTable_, &c});
    if (found != callTables_.end()) {
      r.distinct = r.distinct && found->second.size() == 1;  // tables may share facts
      for (const RuleTable* t : found->second) {
        for (size_t k = t->deltaLo; k < t->deltaHi; ++k) addFactRow(c, firstPos, t->facts.row(k), r, row);
      }
    }
    logStep("rule", c.form, r.nrows, "delta");
    addRel(f, std::move(r));
  }

  size_t deltaRows(const Clause& c) const {
    auto found = callTables_.find({evaluatingTable_, &c});
    if (found == callTables_.end()) return 0;
    size_t n = 0;
    for (const RuleTable* t : found->second) n += t->deltaHi - t->deltaLo;
    return n;
  }

  void markChanged() {
    changed_ = true;
    ++changes_;
  }

  // Naive fixpoint over the tables (of the rules in `only`, or all): evaluate
  // every rule branch with its table's seeds until no table gains facts or
  // seeds.
  void solveRules(const std::unordered_set<std::string>* only) {
    bool wasInFixpoint = inFixpoint_;
    inFixpoint_ = true;
    size_t iterations = 0;
    do {
      changed_ = false;
      // Each table's delta for this round: the facts added since the
      // previous round started.
      for (auto& t : tables_) {
        t->deltaLo = t->roundStart;
        t->deltaHi = t->facts.nrows;
        t->roundStart = t->facts.nrows;
      }
      for (size_t ti = 0; ti < tables_.size(); ++ti) {
        if (only && !only->count(tables_[ti]->name)) continue;
        if (++iterations > options_.maxRuleIterations)
          raise(ErrorCode::LimitExceeded, "rule evaluation exceeded " + std::to_string(options_.maxRuleIterations) +
                                              " steps");
        if (semiNaive_) evaluateTableSemiNaive(ti);
        else evaluateTable(ti);
      }
    } while (changed_);
    inFixpoint_ = wasInFixpoint;
  }

  // Rules reachable from `name` through calls in rule bodies (with itself).
  std::unordered_set<std::string> dependencies(const std::string& name) const {
    std::unordered_set<std::string> out{name};
    std::vector<std::string> todo{name};
    std::function<void(const Clauses&)> scan = [&](const Clauses& cs) {
      for (const Clause& c : cs) {
        if (c.kind == Clause::Kind::RuleCall && out.insert(c.name).second) todo.push_back(c.name);
        for (const Clauses& b : c.branches) scan(b);
      }
    };
    while (!todo.empty()) {
      std::string n = todo.back();
      todo.pop_back();
      for (const Rule& r : rules_.rules)
        if (r.name == n) scan(r.body);
    }
    return out;
  }

  // A rule called under 'not' during the fixpoint: its facts must be
  // complete before the negation is decided (stratified negation), so solve
  // the rules it depends on to their own fixpoint first.
  void solveNegated(const std::string& name) {
    for (const std::string& n : negStack_)
      if (n == name)
        raise(ErrorCode::InvalidInput, "Rule '" + name + "' depends on its own negation (unstratified 'not')");
    std::unordered_set<std::string> deps = dependencies(name);
    bool outerChanged = changed_;
    uint64_t before = changes_;
    int outerNeg = negDepth_;
    negStack_.push_back(name);
    negDepth_ = 0;
    try {
      solveRules(&deps);
    } catch (...) {
      negStack_.pop_back();
      negDepth_ = outerNeg;
      throw;
    }
    negStack_.pop_back();
    negDepth_ = outerNeg;
    changed_ = outerChanged || changes_ != before;
  }

  // Naive round: every branch with every seed.
  void evaluateTable(size_t ti) {
    const std::string name = tables_[ti]->name;
    size_t seeds = tables_[ti]->seeds.nrows;
    for (const Rule& rule : rules_.rules)
      if (rule.name == name) evaluateBranch(ti, rule, 0, seeds);
  }

  // Semi-naive round: new seeds with all facts; old seeds once per positive
  // rule call of a branch, that call reading only its table's delta.
  void evaluateTableSemiNaive(size_t ti) {
    const std::string name = tables_[ti]->name;
    size_t seedsDone = tables_[ti]->seedsDone;
    size_t seedsNow = tables_[ti]->seeds.nrows;
    bool first = !tables_[ti]->evaluated;
    bool anyMask = std::find(tables_[ti]->mask.begin(), tables_[ti]->mask.end(), true) != tables_[ti]->mask.end();
    tables_[ti]->seedsDone = seedsNow;
    tables_[ti]->evaluated = true;
    for (const Rule& rule : rules_.rules) {
      if (rule.name != name) continue;
      if (anyMask ? seedsNow > seedsDone : first) evaluateBranch(ti, rule, anyMask ? seedsDone : 0, seedsNow);
      if (first && !anyMask) continue;  // the full pass above saw every fact
      std::vector<const Clause*> calls;
      collectPositiveCalls(rule.body, calls);
      for (const Clause* call : calls) {
        if (anyMask && seedsDone == 0) break;
        // Nothing new to join through this call: re-running the old seeds
        // would only repeat the previous rounds (a recursion that only
        // ever adds seeds would cost O(seeds) per round).
        if (!hasDelta(call->name)) continue;
        const Clause* outer = deltaClause_;
        deltaClause_ = call;
        try {
          evaluateBranch(ti, rule, 0, anyMask ? seedsDone : 0);
        } catch (...) {
          deltaClause_ = outer;
          throw;
        }
        deltaClause_ = outer;
      }
    }
  }

  bool hasDelta(const std::string& rule) const {
    for (const auto& t : tables_)
      if (t->name == rule && t->deltaHi > t->deltaLo) return true;
    return false;
  }

  static void collectPositiveCalls(const Clauses& cs, std::vector<const Clause*>& out) {
    for (const Clause& c : cs) {
      if (c.kind == Clause::Kind::RuleCall) out.push_back(&c);
      if (c.kind == Clause::Kind::Not) continue;
      for (const Clauses& b : c.branches) collectPositiveCalls(b, out);
    }
  }

  // Evaluates one branch of table ti's rule with seeds [seedLo, seedHi)
  // (all seeds of an unmasked table are the single empty seed).
  void evaluateBranch(size_t ti, const Rule& rule, size_t seedLo, size_t seedHi) {
    struct SourceScope {
      std::string& current;
      std::string saved;
      ~SourceScope() { current = saved; }
    } scope{defaultSource_, defaultSource_};
    defaultSource_ = tables_[ti]->source;
    struct TableScope {
      size_t& current;
      size_t saved;
      ~TableScope() { current = saved; }
    } tableScope{evaluatingTable_, evaluatingTable_};
    evaluatingTable_ = ti;
    std::vector<bool> mask = tables_[ti]->mask;
    bool anyMask = std::find(mask.begin(), mask.end(), true) != mask.end();
    if (anyMask && seedHi <= seedLo) return;
    std::vector<VarId> head = rule.head();
    Frame sub;
    sub.names = &rule.varNames;
    if (anyMask) {
      Rel seedRel;
      for (size_t i = 0; i < head.size(); ++i)
        if (mask[i] && seedRel.col(head[i]) < 0) seedRel.vars.push_back(head[i]);
      // Seeds carry one value per masked position; a repeated head var
      // keeps seeds whose values agree.
      std::vector<Value> row(seedRel.vars.size());
      const Rel& seedRows = tables_[ti]->seeds;  // rows [seedLo, seedHi) stay put while we read
      seedRel.cells.reserve((seedHi - seedLo) * seedRel.vars.size());
      for (size_t si = seedLo; si < seedHi; ++si) {
        const Value* sd = seedRows.row(si);
        bool ok = true;
        std::vector<bool> set(row.size(), false);
        size_t k = 0;
        for (size_t i = 0; i < head.size(); ++i) {
          if (!mask[i]) continue;
          size_t col = static_cast<size_t>(seedRel.col(head[i]));
          if (set[col]) ok = ok && compareValues(row[col], sd[k]) == 0;
          else row[col] = sd[k], set[col] = true;
          ++k;
        }
        if (ok) seedRel.addRow(row.data());
      }
      sub.rels.push_back(std::move(seedRel));
    }
    run(sub, rule.body);
    if (sub.isEmpty()) return;
    for (VarId v : head)
      if (!sub.bound(v))
        raise(ErrorCode::InvalidInput, "Rule '" + rule.name + "': variable " + rule.varNames[static_cast<size_t>(v)] +
                                           " of the head is not bound by its body");
    std::vector<VarId> distinctHead;
    for (VarId v : head)
      if (std::find(distinctHead.begin(), distinctHead.end(), v) == distinctHead.end()) distinctHead.push_back(v);
    // The table's index drops duplicate facts: read the head's columns
    // straight from the relation holding them all (no distinct projection
    // first); only heads spread over several relations are joined.
    int holder = sub.relOf(distinctHead.front());
    for (VarId v : distinctHead)
      if (sub.relOf(v) != holder) holder = -1;
    Rel joined;
    if (holder < 0) joined = project(sub, distinctHead);
    const Rel& facts = holder < 0 ? joined : sub.rels[static_cast<size_t>(holder)];
    std::vector<int> headCols(head.size());
    for (size_t i = 0; i < head.size(); ++i) headCols[i] = facts.col(head[i]);
    RuleTable& t = *tables_[ti];
    std::vector<Value> fact(head.size());
    for (size_t r = 0; r < facts.nrows; ++r) {
      const Value* row = facts.row(r);
      for (size_t i = 0; i < head.size(); ++i) fact[i] = row[headCols[i]];
      if (t.factIndex->add(fact.data())) {
        if (t.factsBySeed) {
          t.factsBySeed->rebase(t.facts.cells.data());
          t.factsBySeed->add(static_cast<uint32_t>(t.facts.nrows - 1));
        }
        markChanged();
        if (++ruleFacts_ > options_.maxRows)
          raise(ErrorCode::LimitExceeded, "rule evaluation produced more than " + std::to_string(options_.maxRows) +
                                              " facts");
      }
    }
  }

  // ---------------------------------------------------------------- dispatch
  void apply(Frame& f, const Clause& c) {
    switch (c.kind) {
      case Clause::Kind::Pattern: applyPattern(f, c); break;
      case Clause::Kind::Predicate: case Clause::Kind::Function: applyPredicateOrFunction(f, c); break;
      case Clause::Kind::RuleCall: applyRuleCall(f, c); break;
      case Clause::Kind::Not: applyNot(f, c); break;
      case Clause::Kind::Or: applyOr(f, c); break;
      case Clause::Kind::And: run(f, c.branches[0]); break;
    }
  }

  void checkLimits(const Frame& f) {
    size_t cells = 0;
    for (const Rel& r : f.rels) cells += r.cells.size();
    if (cells > options_.maxRows * 4)
      raise(ErrorCode::LimitExceeded, "query intermediate results exceeded " + std::to_string(options_.maxRows) + " rows");
  }

  void logStep(const char* what, const Value& form, size_t rows, const std::string& detail = "") {
    if (!explain_) return;
    std::vector<Value> kv = {Value::keyword("op"), Value::keyword(what), Value::keyword("rows"),
                             Value::integer(static_cast<int64_t>(rows))};
    if (!form.isNil()) {
      kv.push_back(Value::keyword("clause"));
      kv.push_back(form);
    }
    if (!detail.empty()) {
      kv.push_back(Value::keyword("index"));
      kv.push_back(Value::string(detail));
    }
    steps_.push_back(Value::map(std::move(kv)));
  }

  const QueryOptions& options_;
  Value* explain_;
  std::vector<Value> steps_;
  std::unordered_map<std::string, Source> sources_;
  std::vector<std::unique_ptr<Db>> dbs_;
  RuleSet rules_;
  std::vector<std::unique_ptr<RuleTable>> tables_;
  bool inFixpoint_ = false;
  bool changed_ = false;
  bool semiNaive_ = true;
  const Clause* deltaClause_ = nullptr;  // the rule call reading a delta
  size_t evaluatingTable_ = SIZE_MAX;    // the table whose branch runs (SIZE_MAX: the query)
  // The tables each rule call of a table's branches read (a call's table
  // depends on which arguments were bound when it ran); a delta round reads
  // their new facts directly.
  std::map<std::pair<size_t, const Clause*>, std::vector<RuleTable*>> callTables_;
  uint64_t changes_ = 0;
  std::string defaultSource_ = "$";
  int negDepth_ = 0;                  // 'not' bodies being run
  std::vector<std::string> negStack_;  // rules solved for a negation, innermost last
  size_t ruleFacts_ = 0;
  std::map<std::pair<const Schema*, AttrId>, Value> attrValues_;
};

// ------------------------------------------------------------------ inputs

void bindInput(Frame& f, Executor& ex, const Input& in, const QueryArg& arg) {
  const Binding& b = in.binding;
  auto data = [&]() -> const Value& {
    if (arg.isDb) raise(ErrorCode::InvalidInput, "Expected data for an :in binding, got a database");
    return arg.value;
  };
  Rel r;
  for (VarId v : b.vars)
    if (v != kNoVar) r.vars.push_back(v);
  auto addTuple = [&](const std::vector<Value>& items) {
    if (items.size() < b.vars.size())
      raise(ErrorCode::InvalidInput, "Not enough elements in an :in tuple: " + show(Value::vector(items)));
    std::vector<Value> row;
    for (size_t i = 0; i < b.vars.size(); ++i)
      if (b.vars[i] != kNoVar) row.push_back(items[i]);
    r.addRow(row.data());
  };
  switch (b.kind) {
    case Binding::Kind::Blank: return;
    case Binding::Kind::Scalar: {
      Value v = arg.isDb ? Value() : arg.value;
      if (arg.isDb) raise(ErrorCode::InvalidInput, "Expected a value for " + (*f.names)[static_cast<size_t>(b.vars[0])]);
      r.addRow(&v);
      break;
    }
    case Binding::Kind::Tuple:
      if (!data().isSequential()) raise(ErrorCode::InvalidInput, "Expected a tuple for an :in tuple binding, got " + show(data()));
      addTuple(data().items());
      break;
    case Binding::Kind::Collection:
      if (!data().isCollection())
        raise(ErrorCode::InvalidInput, "Expected a collection for an :in collection binding, got " + show(data()));
      for (const Value& x : data().items()) {
        if (b.vars[0] == kNoVar) continue;
        r.addRow(&x);
      }
      break;
    case Binding::Kind::Relation:
      if (!data().isCollection())
        raise(ErrorCode::InvalidInput, "Expected a collection of tuples for an :in relation binding, got " + show(data()));
      for (const Value& t : data().items()) {
        if (!t.isSequential()) raise(ErrorCode::InvalidInput, "Expected tuples in an :in relation, got " + show(t));
        addTuple(t.items());
      }
      break;
  }
  // Repeated variables within one binding are rare; keep first occurrence.
  Rel distinct = projectDistinct(r, [&] {
    std::vector<VarId> vs;
    for (VarId v : r.vars)
      if (std::find(vs.begin(), vs.end(), v) == vs.end()) vs.push_back(v);
    return vs;
  }());
  ex.addRel(f, std::move(distinct));
}

// ------------------------------------------------------------------ shaping

Value pullFor(const Db& db, const Value& pattern, const Value& eid) {
  if (eid.isNil()) return Value();
  // A pattern passed as an input may be EDN text, like rules (`%`) may.
  if (pattern.isString()) return pull::pull(db, edn::readOne(pattern.asString()), eid);
  return pull::pull(db, pattern, eid);
}

QueryResult shape(const Query& q, Executor& ex, Frame& f, std::span<const QueryArg> args,
                  const std::vector<Value>& inputValues) {
  QueryResult res;
  res.shape = q.shape;
  res.keysKind = q.keysKind;
  res.keys = q.keys;
  res.width = q.find.size();
  // Variables to project: find vars, pattern vars of pulls, :with vars.
  std::vector<VarId> vars;
  auto want = [&](VarId v) {
    if (v != kNoVar && std::find(vars.begin(), vars.end(), v) == vars.end()) vars.push_back(v);
  };
  for (const FindElem& e : q.find) {
    want(e.var);
    want(e.patternVar);
  }
  for (VarId v : q.with) want(v);
  Rel rows = f.isEmpty() ? Rel{vars, {}, 0} : ex.project(f, vars);

  auto valueAt = [&](const Value* row, VarId v) { return row[rows.col(v)]; };
  // Constant pull patterns are parsed once per query, not once per row.
  std::vector<std::optional<pull::Pattern>> parsedPatterns(q.find.size());
  auto pullElem = [&](const FindElem& e, const Value* row) -> Value {
    const Source& s = ex.source(e.source);
    if (!s.isDb) raise(ErrorCode::InvalidInput, "pull needs a database source, " + e.source + " is not one");
    if (e.patternVar != kNoVar) return pullFor(*s.db, valueAt(row, e.patternVar), valueAt(row, e.var));
    auto& parsed = parsedPatterns[static_cast<size_t>(&e - q.find.data())];
    if (!parsed) parsed = pull::parsePattern(e.pattern);
    const Value& eid = valueAt(row, e.var);
    return eid.isNil() ? Value() : pull::pull(*s.db, *parsed, eid);
  };

  if (!q.hasAggregates()) {
    // The projection is already distinct over `vars`; when the find
    // elements are exactly those variables, the rows are the result.
    bool plainVars = q.with.empty() && vars.size() == q.find.size();
    for (size_t k = 0; plainVars && k < q.find.size(); ++k)
      plainVars = q.find[k].kind == FindElem::Kind::Var && q.find[k].var == vars[k];
    if (plainVars) {
      size_t keep = (q.shape == Query::Shape::Scalar || q.shape == Query::Shape::Tuple) ? std::min<size_t>(rows.nrows, 1)
                                                                                         : rows.nrows;
      rows.cells.resize(keep * rows.width());
      res.cells = std::move(rows.cells);
      return res;
    }
    // Distinct over the find elements (the :with columns only keep
    // duplicates apart before projection, which matters for aggregates).
    Rel distinctRel;
    distinctRel.vars.resize(q.find.size());
    DistinctRows distinct(distinctRel, rows.nrows);
    std::vector<Value> out(q.find.size());
    for (size_t i = 0; i < rows.nrows; ++i) {
      const Value* row = rows.row(i);
      for (size_t k = 0; k < q.find.size(); ++k) {
        const FindElem& e = q.find[k];
        out[k] = e.kind == FindElem::Kind::Pull ? pullElem(e, row) : valueAt(row, e.var);
      }
      if (!distinct.add(out.data())) continue;
      if (q.shape == Query::Shape::Scalar || q.shape == Query::Shape::Tuple) break;
    }
    res.cells = std::move(distinctRel.cells);
    return res;
  }
  // Group by the non-aggregate find elements.
  std::vector<size_t> groupElems, aggElems;
  for (size_t k = 0; k < q.find.size(); ++k)
    (q.find[k].kind == FindElem::Kind::Aggregate ? aggElems : groupElems).push_back(k);
  std::unordered_map<std::vector<Value>, size_t, RowHash, RowEq> groupIndex;
  std::vector<std::vector<Value>> groupKeys;
  std::vector<std::vector<std::vector<Value>>> groupVals;  // group -> agg elem -> values
  std::vector<Value> key(groupElems.size());
  for (size_t i = 0; i < rows.nrows; ++i) {
    const Value* row = rows.row(i);
    for (size_t g = 0; g < groupElems.size(); ++g) {
      const FindElem& e = q.find[groupElems[g]];
      key[g] = e.kind == FindElem::Kind::Pull ? pullElem(e, row) : valueAt(row, e.var);
    }
    auto [it, fresh] = groupIndex.emplace(key, groupKeys.size());
    if (fresh) {
      groupKeys.push_back(key);
      groupVals.emplace_back(aggElems.size());
    }
    for (size_t a = 0; a < aggElems.size(); ++a) groupVals[it->second][a].push_back(valueAt(row, q.find[aggElems[a]].var));
  }
  // With no grouping columns, aggregates over an empty input still yield a row.
  if (groupElems.empty() && groupKeys.empty()) {
    groupKeys.emplace_back();
    groupVals.emplace_back(aggElems.size());
  }
  for (size_t g = 0; g < groupKeys.size(); ++g) {
    std::vector<Value> out(q.find.size());
    for (size_t k = 0; k < groupElems.size(); ++k) out[groupElems[k]] = groupKeys[g][k];
    for (size_t a = 0; a < aggElems.size(); ++a) {
      const FindElem& e = q.find[aggElems[a]];
      std::vector<Value>& vals = groupVals[g][a];
      std::vector<Value> constArgs;
      for (const Value& c : e.constArgs) {
        if (c.isSymbol() && c.interned().full.size() > 1 && c.interned().full[0] == '?') {
          // An aggregate argument from :in (e.g. (max ?n ?x)).
          int idx = -1;
          for (size_t v = 0; v < q.varNames.size(); ++v)
            if (q.varNames[v] == c.interned().full) idx = static_cast<int>(v);
          int col = idx >= 0 ? f.relOf(idx) : -1;
          if (col < 0) raise(ErrorCode::InvalidInput, "Unbound aggregate argument " + show(c));
          constArgs.push_back(f.rels[static_cast<size_t>(col)].row(0)[f.rels[static_cast<size_t>(col)].col(idx)]);
        } else {
          constArgs.push_back(c);
        }
      }
      if (ex.hostAggregate(e.fn)) {
        out[aggElems[a]] = (*ex.hostAggregate(e.fn))(vals);
        continue;
      }
      const Aggregate* agg = findAggregate(e.fn, constArgs.size());
      if (!agg) raise(ErrorCode::InvalidInput, "Unknown aggregate function '" + e.fn + "'");
      out[aggElems[a]] = agg->fn(std::span<const Value>(constArgs), vals);
    }
    res.cells.insert(res.cells.end(), out.begin(), out.end());
    if (q.shape == Query::Shape::Scalar || q.shape == Query::Shape::Tuple) break;
  }
  (void)args;
  (void)inputValues;
  return res;
}

}  // namespace

static QueryResult executeWith(const Query& q, std::span<const QueryArg> args, const QueryOptions& options,
                               Value* explainOut) {
  if (args.size() != q.inputs.size())
    raise(ErrorCode::InvalidInput, "Wrong number of arguments for the query's :in: expected " +
                                       std::to_string(q.inputs.size()) + ", got " + std::to_string(args.size()));
  Executor ex(options, explainOut);
  Frame f;
  f.names = &q.varNames;
  std::vector<Value> inputValues;
  for (size_t i = 0; i < q.inputs.size(); ++i) {
    const Input& in = q.inputs[i];
    if (in.kind == Input::Kind::Source) ex.addSource(in.name, args[i]);
    else if (in.kind == Input::Kind::Rules) {
      if (args[i].isDb) raise(ErrorCode::InvalidInput, "Expected rules for %, got a database");
      const Value& rv = args[i].value;
      ex.setRules(parseRules(rv.isString() ? edn::readOne(rv.asString()) : rv));
    }
  }
  for (size_t i = 0; i < q.inputs.size(); ++i)
    if (q.inputs[i].kind == Input::Kind::Binding) bindInput(f, ex, q.inputs[i], args[i]);
  ex.validateRules();
  ex.validateCalls(q.where);
  ex.run(f, q.where);
  QueryResult r = shape(q, ex, f, args, inputValues);
  if (explainOut) *explainOut = ex.explainValue();
  return r;
}

QueryResult execute(const Query& q, std::span<const QueryArg> args, const QueryOptions& options) {
  return executeWith(q, args, options, nullptr);
}

Value q(const Value& form, std::span<const QueryArg> args, const QueryOptions& options) {
  Query parsed = parseQuery(form);
  return execute(parsed, args, options).toValue();
}

Value explain(const Value& form, std::span<const QueryArg> args, const QueryOptions& options) {
  Query parsed = parseQuery(form);
  Value steps;
  QueryResult r = executeWith(parsed, args, options, &steps);
  return Value::map({Value::keyword("steps"), steps, Value::keyword("rows"),
                     Value::integer(static_cast<int64_t>(r.rows()))});
}

Value QueryResult::toValue() const {
  auto rowValue = [&](size_t i) -> Value {
    std::vector<Value> items(cells.begin() + static_cast<long>(i * width),
                             cells.begin() + static_cast<long>((i + 1) * width));
    if (keysKind == Query::Keys::None) return Value::vector(std::move(items));
    std::vector<Value> kv;
    for (size_t k = 0; k < width; ++k) {
      switch (keysKind) {
        case Query::Keys::Keys: kv.push_back(Value::keyword(keys[k])); break;
        case Query::Keys::Strs: kv.push_back(Value::string(keys[k])); break;
        default: kv.push_back(Value::symbol(keys[k])); break;
      }
      kv.push_back(items[k]);
    }
    return Value::map(std::move(kv));
  };
  switch (shape) {
    case Query::Shape::Scalar: return cells.empty() ? Value() : cells[0];
    case Query::Shape::Tuple: return cells.empty() ? Value() : rowValue(0);
    case Query::Shape::Collection: return Value::vector(cells);
    case Query::Shape::Relation: {
      std::vector<Value> out;
      for (size_t i = 0; i < rows(); ++i) out.push_back(rowValue(i));
      return keysKind == Query::Keys::None ? Value::set(std::move(out)) : Value::vector(std::move(out));
    }
  }
  return Value();
}

}  // namespace datalite::query
