// Native benchmark of DataScript's bench workload (shared/bench/WORKLOADS.md):
// 20k random "people" (~191k datoms); ops add-1, add-5, add-all, init,
// retract-5, find-datoms, find-datom. Prints the median ms per op over
// several rounds, and the memory the indexes take per datom.
//
//   build/datalite_bench [--size N] [--repeat R] [--warmup-ms M] [--ops add-1,init,...]
//                        [--leaf-bytes B] [--fanout F]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "datalite.h"
#include "query/parser.h"

using namespace datalite;

namespace {

struct Person {
  std::string tempid;
  std::string name, lastName, fullName;
  std::vector<std::string> aliases;  // distinct
  bool male;
  int64_t age, salary;
};

const char* kNames[] = {"Ivan", "Petr", "Sergei", "Oleg", "Yuri", "Dmitry", "Fedor", "Denis"};
const char* kLastNames[] = {"Ivanov", "Petrov", "Sidorov", "Kovalev", "Kuznetsov", "Voronoi"};
const char* kAliases[] = {"A. C. Q. W.", "A. J. Finn", "A.A. Fair", "Aapeli", "Aaron Wolfe", "Abigail Van Buren",
                          "Jeanne Phillips", "Abram Tertz", "Abu Nuwas", "Acton Bell", "Adunis"};

std::vector<Person> makePeople(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](size_t k) { return static_cast<size_t>(rng() % k); };
  std::vector<Person> people;
  people.reserve(n);
  for (size_t k = 1; k <= n; ++k) {
    Person p;
    p.tempid = std::to_string(k);
    p.name = kNames[pick(8)];
    p.lastName = kLastNames[pick(6)];
    p.fullName = p.name + " " + p.lastName;
    size_t draws = pick(10);
    for (size_t i = 0; i < draws; ++i) {
      std::string a = kAliases[pick(11)];
      if (std::find(p.aliases.begin(), p.aliases.end(), a) == p.aliases.end()) p.aliases.push_back(a);
    }
    p.male = pick(2) == 0;
    p.age = static_cast<int64_t>(pick(100));
    p.salary = static_cast<int64_t>(pick(100000));
    people.push_back(std::move(p));
  }
  std::shuffle(people.begin(), people.end(), rng);
  return people;
}

Value kw(const char* s) { return Value::keyword(s); }

Value personMap(const Person& p) {
  std::vector<Value> aliases;
  for (const auto& a : p.aliases) aliases.push_back(Value::string(a));
  std::vector<Value> kv = {kw("db/id"),     Value::string(p.tempid),
                           kw("name"),      Value::string(p.name),
                           kw("last-name"), Value::string(p.lastName),
                           kw("full-name"), Value::string(p.fullName),
                           kw("sex"),       kw(p.male ? "male" : "female"),
                           kw("age"),       Value::integer(p.age),
                           kw("salary"),    Value::integer(p.salary)};
  if (!aliases.empty()) {
    kv.push_back(kw("alias"));
    kv.push_back(Value::vector(std::move(aliases)));
  }
  return Value::map(std::move(kv));
}

Value add1(const Person& p, const char* attr, Value v) {
  return Value::vector({kw("db/add"), Value::string(p.tempid), kw(attr), std::move(v)});
}

double nowMs() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

size_t residentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

// Gives freed heap memory back to the OS (glibc), so resident size reflects
// live data.
void trimHeap() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

struct Options {
  size_t size = 20000;
  int repeat = 5;
  double warmupMs = 1000;
  double sampleMs = 200;
  std::vector<std::string> ops;
  DbOptions db;
};

// Median over rounds of the mean ms per iteration; each round runs the op
// until at least sampleMs have passed (at least once).
double measure(const Options& o, const std::function<void()>& op) {
  double start = nowMs();
  do op(); while (nowMs() - start < o.warmupMs);
  std::vector<double> rounds;
  for (int r = 0; r < o.repeat; ++r) {
    int iters = 0;
    double t0 = nowMs(), t1;
    do {
      op();
      ++iters;
      t1 = nowMs();
    } while (t1 - t0 < o.sampleMs);
    rounds.push_back((t1 - t0) / iters);
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[rounds.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %s\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--size") o.size = std::stoul(next());
    else if (a == "--repeat") o.repeat = std::stoi(next());
    else if (a == "--warmup-ms") o.warmupMs = std::stod(next());
    else if (a == "--sample-ms") o.sampleMs = std::stod(next());
    else if (a == "--leaf-bytes") o.db.btree.leafBytes = static_cast<uint32_t>(std::stoul(next()));
    else if (a == "--fanout") o.db.btree.branchFanout = static_cast<uint32_t>(std::stoul(next()));
    else if (a == "--ops") {
      std::string list = next();
      size_t pos = 0;
      while (pos <= list.size()) {
        size_t comma = list.find(',', pos);
        if (comma == std::string::npos) comma = list.size();
        o.ops.push_back(list.substr(pos, comma - pos));
        pos = comma + 1;
      }
    } else {
      std::fprintf(stderr, "usage: %s [--size N] [--repeat R] [--warmup-ms M] [--sample-ms M] [--ops a,b] [--leaf-bytes B] [--fanout F]\n", argv[0]);
      return 2;
    }
  }
  auto wanted = [&](const std::string& op) {
    return o.ops.empty() || std::find(o.ops.begin(), o.ops.end(), op) != o.ops.end();
  };

  const Value schema = edn::readOne(
      "{:id {:db/unique :db.unique/identity}"
      " :follows {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}"
      " :alias {:db/cardinality :db.cardinality/many}}");
  std::vector<Person> people = makePeople(o.size, 42);

  // Inputs, built untimed.
  std::vector<std::vector<Value>> add1Txs, add5Txs;
  std::vector<Value> allMaps;
  for (const Person& p : people) {
    add1Txs.push_back({add1(p, "name", Value::string(p.name))});
    add1Txs.push_back({add1(p, "last-name", Value::string(p.lastName))});
    add1Txs.push_back({add1(p, "sex", kw(p.male ? "male" : "female"))});
    add1Txs.push_back({add1(p, "age", Value::integer(p.age))});
    add1Txs.push_back({add1(p, "salary", Value::integer(p.salary))});
    add5Txs.push_back({personMap(p)});
    allMaps.push_back(personMap(p));
  }
  std::vector<Db::InitDatom> initDatoms;
  for (size_t i = 0; i < people.size(); ++i) {
    const Person& p = people[i];
    int64_t e = static_cast<int64_t>(i) + 1;
    initDatoms.push_back({e, Keyword::intern("name"), Value::string(p.name)});
    initDatoms.push_back({e, Keyword::intern("last-name"), Value::string(p.lastName)});
    initDatoms.push_back({e, Keyword::intern("full-name"), Value::string(p.fullName)});
    for (const auto& a : p.aliases) initDatoms.push_back({e, Keyword::intern("alias"), Value::string(a)});
    initDatoms.push_back({e, Keyword::intern("sex"), kw(p.male ? "male" : "female")});
    initDatoms.push_back({e, Keyword::intern("age"), Value::integer(p.age)});
    initDatoms.push_back({e, Keyword::intern("salary"), Value::integer(p.salary)});
  }

  trimHeap();
  size_t rssBefore = residentBytes();
  Db db100k = Db::empty(schema, o.db).with(allMaps);
  trimHeap();  // return the transaction's temporary memory before measuring
  size_t rssAfter = residentBytes();
  uint64_t userDatoms = 0;
  for (const Datom& d : db100k.datoms(IndexOrder::EAVT))
    if (d.e < kTx0) ++userDatoms;
  std::printf("datalite native bench: %zu people, %llu datoms (+%llu tx datoms)\n", people.size(),
              static_cast<unsigned long long>(userDatoms),
              static_cast<unsigned long long>(db100k.count() - userDatoms));
  std::printf("memory: %.1f bytes/datom in index nodes (all trees), %.1f bytes/datom resident growth\n",
              static_cast<double>(db100k.memoryBytes()) / static_cast<double>(db100k.count()),
              static_cast<double>(rssAfter - rssBefore) / static_cast<double>(db100k.count()));
  std::printf("%-14s %12s\n", "op", "median ms");
  std::fflush(stdout);

  auto report = [&](const char* name, double ms) { std::printf("%-14s %12.2f\n", name, ms); std::fflush(stdout); };

  if (wanted("add-1")) {
    report("add-1", measure(o, [&] {
             Db db = Db::empty(schema, o.db);
             for (const auto& t : add1Txs) db = db.with(t);
           }));
  }
  if (wanted("add-5")) {
    report("add-5", measure(o, [&] {
             Db db = Db::empty(schema, o.db);
             for (const auto& t : add5Txs) db = db.with(t);
           }));
  }
  if (wanted("add-all")) {
    report("add-all", measure(o, [&] { Db db = Db::empty(schema, o.db).with(allMaps); }));
  }
  if (wanted("init")) {
    report("init", measure(o, [&] { Db db = Db::init(initDatoms, schema, o.db); }));
  }
  if (wanted("retract-5")) {
    std::vector<int64_t> eids;
    for (const Datom& d : db100k.datoms(IndexOrder::AEVT, std::vector<Value>{kw("name")})) eids.push_back(d.e);
    std::mt19937_64 rng(7);
    std::shuffle(eids.begin(), eids.end(), rng);
    std::vector<std::vector<Value>> txs;
    for (int64_t e : eids) txs.push_back({Value::vector({kw("db/retractEntity"), Value::integer(e)})});
    report("retract-5", measure(o, [&] {
             Db db = db100k;
             for (const auto& t : txs) db = db.with(t);
           }));
  }
  std::vector<int64_t> sortedEids;
  for (const Datom& d : db100k.datoms(IndexOrder::AEVT, std::vector<Value>{kw("name")})) sortedEids.push_back(d.e);
  size_t from = sortedEids.size() * 45 / 100;
  size_t to = std::min(sortedEids.size(), from + 2000);
  if (wanted("find-datoms")) {
    report("find-datoms", measure(o, [&] {
             size_t found = 0;
             for (size_t i = from; i < to; ++i) {
               Value comps[] = {Value::integer(sortedEids[i]), kw("full-name")};
               auto ds = db100k.datoms(IndexOrder::EAVT, comps);
               if (!ds.empty() && ds.front().v.isString()) ++found;
             }
             if (found != to - from) std::abort();
           }));
  }
  if (wanted("find-datom")) {
    report("find-datom", measure(o, [&] {
             size_t found = 0;
             for (size_t i = from; i < to; ++i) {
               Value comps[] = {Value::integer(sortedEids[i]), kw("full-name")};
               auto c = db100k.seek(IndexOrder::EAVT, comps);
               if (c.valid() && c.datom().v.isString()) ++found;
             }
             if (found != to - from) std::abort();
           }));
  }
  // Queries on db100k (canonical EDN from WORKLOADS.md).
  struct NamedQuery {
    const char* name;
    const char* edn;
    std::vector<Value> inputs;
  };
  std::vector<NamedQuery> queries = {
      {"q1", "[:find ?e :where [?e :name \"Ivan\"]]", {}},
      {"q2", "[:find ?e ?a :where [?e :name \"Ivan\"] [?e :age ?a]]", {}},
      {"q2-switch", "[:find ?e ?a :where [?e :age ?a] [?e :name \"Ivan\"]]", {}},
      {"q3", "[:find ?e ?a :where [?e :name \"Ivan\"] [?e :age ?a] [?e :sex :male]]", {}},
      {"q4", "[:find ?e ?l ?a :where [?e :name \"Ivan\"] [?e :last-name ?l] [?e :age ?a] [?e :sex :male]]", {}},
      {"q5-shortcircuit",
       "[:find ?e ?n ?l ?a ?s ?al :in $ ?n ?a :where [?e :name ?n] [?e :age ?a] [?e :last-name ?l] [?e :sex ?s] "
       "[?e :alias ?al]]",
       {Value::string("Anastasia"), Value::integer(35)}},
      {"qpred1", "[:find ?e ?s :where [?e :salary ?s] [(> ?s 50000)]]", {}},
      {"qpred2", "[:find ?e ?s :in $ ?min_s :where [?e :salary ?s] [(> ?s ?min_s)]]", {Value::integer(50000)}},
  };
  for (const NamedQuery& nq : queries) {
    if (!wanted(nq.name)) continue;
    Value form = edn::readOne(nq.edn);
    std::vector<query::QueryArg> args = {query::QueryArg::database(db100k)};
    for (const Value& in : nq.inputs) args.push_back(query::QueryArg::data(in));
    size_t rows = query::execute(query::parseQuery(form), args).rows();
    if (std::getenv("DATALITE_BENCH_EXPLAIN"))  // the chosen plan, to stderr
      std::fprintf(stderr, "%s plan: %s\n", nq.name, edn::print(query::explain(form, args)).c_str());
    double ms = measure(o, [&] {
      // Parse included, as every user pays it.
      query::QueryResult r = query::execute(query::parseQuery(form), args);
      if (r.rows() != rows) std::abort();
    });
    std::printf("%-14s %12.3f   (%zu rows)\n", nq.name, ms, rows);
  }

  // Pull and rules on the tree and chain dbs of the reference suite.
  const Value treeSchema = edn::readOne(
      "{:follows {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}"
      " :id {:db/unique :db.unique/identity}}");
  auto wideDb = [&](int depth, int width) {
    std::vector<Value> maps;
    std::vector<std::pair<int64_t, int>> todo = {{1, depth}};
    size_t personIndex = 0;
    while (!todo.empty()) {
      auto [id, d] = todo.back();
      todo.pop_back();
      const Person& p = people[personIndex++ % people.size()];
      std::vector<Value> kv = {kw("db/id"), Value::string(std::to_string(id)), kw("name"), Value::string(p.name),
                               kw("last-name"), Value::string(p.lastName), kw("sex"), kw(p.male ? "male" : "female"),
                               kw("age"), Value::integer(p.age), kw("salary"), Value::integer(p.salary)};
      if (d > 0) {
        std::vector<Value> kids;
        for (int k = 0; k < width; ++k) {
          int64_t child = id * width + k;
          kids.push_back(Value::string(std::to_string(child)));
          todo.push_back({child, d - 1});
        }
        kv.push_back(kw("id"));
        kv.push_back(Value::integer(id));
        kv.push_back(kw("follows"));
        kv.push_back(Value::vector(std::move(kids)));
      }
      maps.push_back(Value::map(std::move(kv)));
    }
    return Db::empty(treeSchema, o.db).with(maps);
  };
  auto longDb = [&](int depth, int width) {
    std::vector<Value> tx;
    for (int x = 0; x < width; ++x)
      for (int y = 0; y <= depth; ++y) {
        int64_t e = x * (depth + 1) + y + 1;
        tx.push_back(Value::vector({kw("db/add"), Value::integer(e), kw("name"), Value::string("Ivan")}));
        if (y < depth) tx.push_back(Value::vector({kw("db/add"), Value::integer(e), kw("follows"), Value::integer(e + 1)}));
      }
    return Db::empty(treeSchema, o.db).with(tx);
  };
  bool anyPull = wanted("pull-one") || wanted("pull-many") || wanted("pull-wildcard");
  if (anyPull) {
    Db pullDb = wideDb(4, 5);
    Value root = edn::readOne("[:id 1]");
    struct NamedPull {
      const char* name;
      const char* pattern;
    };
    for (NamedPull np : {NamedPull{"pull-one", "[:name {:follows ...}]"},
                         NamedPull{"pull-many", "[:db/id :last-name :alias :sex :age :salary {:follows ...}]"},
                         NamedPull{"pull-wildcard", "[* {:follows ...}]"}}) {
      if (!wanted(np.name)) continue;
      pull::Pattern pattern = pull::parsePattern(edn::readOne(np.pattern));
      report(np.name, measure(o, [&] {
               Value v = pull::pull(pullDb, pattern, root);
               if (v.isNil()) std::abort();
             }));
    }
  }
  const Value rules = edn::readOne(
      "[[(follows ?x ?y) [?x :follows ?y]] [(follows ?x ?y) [?x :follows ?t] (follows ?t ?y)]]");
  const Value rulesQuery = edn::readOne("[:find ?e ?e2 :in $ % :where (follows ?e ?e2)]");
  struct NamedRules {
    const char* name;
    bool wide;
    int depth, width;
  };
  for (NamedRules nr : {NamedRules{"rules-wide-3x3", true, 3, 3}, NamedRules{"rules-wide-5x3", true, 5, 3},
                        NamedRules{"rules-wide-7x3", true, 7, 3}, NamedRules{"rules-wide-4x6", true, 4, 6},
                        NamedRules{"rules-long-10x3", false, 10, 3}, NamedRules{"rules-long-30x3", false, 30, 3},
                        NamedRules{"rules-long-30x5", false, 30, 5}}) {
    if (!wanted(nr.name)) continue;
    Db rdb = nr.wide ? wideDb(nr.depth, nr.width) : longDb(nr.depth, nr.width);
    std::vector<query::QueryArg> args = {query::QueryArg::database(rdb), query::QueryArg::data(rules)};
    size_t rows = query::execute(query::parseQuery(rulesQuery), args).rows();
    if (std::getenv("DATALITE_BENCH_EXPLAIN"))
      std::fprintf(stderr, "%s plan: %s\n", nr.name, edn::print(query::explain(rulesQuery, args)).c_str());
    double ms = measure(o, [&] {
      if (query::execute(query::parseQuery(rulesQuery), args).rows() != rows) std::abort();
    });
    std::printf("%-14s %12.3f   (%zu rows)\n", nr.name, ms, rows);
  }
  return 0;
}
