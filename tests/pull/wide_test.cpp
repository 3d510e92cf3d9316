// The benchmark's pull db: wide-db(4, 5), a tree of 781 people linked by
// :follows (see ../shared/bench/WORKLOADS.md), and its pull workloads.
#include <ctime>
#include <cstdio>
#include <functional>

#include "pull_test_util.h"

using namespace datalite;
using namespace datalite::pulltest;

namespace {

const char* kNames[] = {"Ivan", "Petr", "Sergei", "Oleg", "Yuri", "Dmitry", "Fedor", "Denis"};
const char* kLast[] = {"Ivanov", "Petrov", "Sidorov", "Kovalev", "Kuznetsov", "Voronoi"};
const char* kAlias[] = {"A. C. Q. W.", "A. J. Finn", "A.A. Fair", "Aapeli", "Aaron Wolfe"};

// A deterministic "random man" entity map for node `id`.
std::vector<Value> person(int64_t id) {
  uint64_t x = static_cast<uint64_t>(id) * 2654435761u + 12345;
  auto next = [&] { x = x * 6364136223846793005ull + 1442695040888963407ull; return x >> 33; };
  std::string name = kNames[next() % 8], last = kLast[next() % 6];
  std::vector<Value> aliases;
  for (uint64_t n = next() % 4, i = 0; i < n; ++i) {
    Value a = Value::string(kAlias[next() % 5]);
    bool dup = false;
    for (const Value& b : aliases) dup = dup || b == a;
    if (!dup) aliases.push_back(a);
  }
  std::vector<Value> kv = {Value::keyword("db/id"), Value::string(std::to_string(id)),
                           Value::keyword("name"), Value::string(name),
                           Value::keyword("last-name"), Value::string(last),
                           Value::keyword("full-name"), Value::string(name + " " + last),
                           Value::keyword("sex"), Value::keyword(next() % 2 ? "male" : "female"),
                           Value::keyword("age"), Value::integer(static_cast<int64_t>(next() % 100)),
                           Value::keyword("salary"), Value::integer(static_cast<int64_t>(next() % 100000))};
  if (!aliases.empty()) {
    kv.push_back(Value::keyword("alias"));
    kv.push_back(Value::vector(aliases));
  }
  return kv;
}

void wideNode(int64_t id, int depth, int width, std::vector<Value>& out) {
  std::vector<Value> kv = person(id);
  if (depth > 0) {
    std::vector<Value> kids;
    for (int i = 0; i < width; ++i) kids.push_back(Value::string(std::to_string(id * width + i)));
    kv.push_back(Value::keyword("id"));
    kv.push_back(Value::integer(id));
    kv.push_back(Value::keyword("follows"));
    kv.push_back(Value::vector(kids));
  }
  out.push_back(Value::map(std::move(kv)));
  if (depth > 0)
    for (int i = 0; i < width; ++i) wideNode(id * width + i, depth - 1, width, out);
}

Db wideDb(int depth, int width) {
  std::vector<Value> txData;
  wideNode(1, depth, width, txData);
  return Db::empty(read(R"({:id {:db/unique :db.unique/identity}
      :follows {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
      :alias {:db/cardinality :db.cardinality/many}})"))
      .with(txData);
}

// Maps in `v` that have key `k`, at any depth.
size_t countMapsWith(const Value& v, const char* k) {
  size_t n = 0;
  if (v.isMap() && v.getKeyword(k)) ++n;
  if (v.isCollection())
    for (const Value& item : v.items()) n += countMapsWith(item, k);
  return n;
}

// CPU time (std::clock) per call: steadier than wall time on a shared machine.
double msPerOp(const std::function<void()>& f) {
  f();  // warm-up
  int iters = 0;
  std::clock_t start = std::clock();
  double elapsed = 0;
  do {
    f();
    ++iters;
    elapsed = 1000.0 * static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  } while (elapsed < 500);
  return elapsed / iters;
}

}  // namespace

TEST_CASE("pull: wide-db(4,5) recursion visits all 781 entities", "[pull][wide]") {
  Db db = wideDb(4, 5);
  Value one = pull::pull(db, read("[:name {:follows ...}]"), read("[:id 1]"));
  CHECK(countMapsWith(one, "name") == 781);
  CHECK(countMapsWith(one, "follows") == 156);
  // Depth 2: root, 5 children, 25 grandchildren.
  Value two = pull::pull(db, read("[:name {:follows 2}]"), read("[:id 1]"));
  CHECK(countMapsWith(two, "name") == 31);
  Value wild = pull::pull(db, read("[* {:follows ...}]"), read("[:id 1]"));
  CHECK(countMapsWith(wild, "db/id") == 781);
  CHECK(countMapsWith(wild, "salary") == 781);
  CHECK(countMapsWith(wild, "id") == 156);
  Value many = pull::pull(db, read("[:db/id :last-name :alias :sex :age :salary {:follows ...}]"), read("[:id 1]"));
  CHECK(countMapsWith(many, "db/id") == 781);
  // The root and the shape of a leaf, printed.
  int64_t leaf = db.entid(read("[:id 31]"));
  std::string leafFirst = edn::print(pull::pull(db, read("[:id {:follows [:db/id]}]"), Value::integer(leaf)));
  CHECK(leafFirst.rfind("{:id 31, :follows [{:db/id ", 0) == 0);
  CHECK(P(db, "[:id {:_follows [:id {:_follows [:id]}]}]", "[:id 31]") == "{:id 31, :_follows [{:id 6, :_follows [{:id 1}]}]}");
  // Entity walk: same 781 entities.
  std::function<size_t(const pull::Entity&)> walk = [&](const pull::Entity& e) -> size_t {
    size_t n = e.get("name").isNil() ? 0 : 1;
    for (const pull::Entity& c : e.refs(Keyword::intern("follows"))) n += walk(c);
    return n;
  };
  CHECK(walk(*pull::Entity::of(db, read("[:id 1]"))) == 781);
}

TEST_CASE("pull: wide-db(4,5) timings", "[.][perf]") {
  Db db = wideDb(4, 5);
  Value root = read("[:id 1]");
  pull::Pattern one = pull::parsePattern(read("[:name {:follows ...}]"));
  pull::Pattern many = pull::parsePattern(read("[:db/id :last-name :alias :sex :age :salary {:follows ...}]"));
  pull::Pattern wild = pull::parsePattern(read("[* {:follows ...}]"));
  std::printf("pull-one       %.3f ms/op CPU\n", msPerOp([&] { pull::pull(db, one, root); }));
  std::printf("pull-many      %.3f ms/op CPU\n", msPerOp([&] { pull::pull(db, many, root); }));
  std::printf("pull-wildcard  %.3f ms/op CPU\n", msPerOp([&] { pull::pull(db, wild, root); }));
  std::printf("pull-one (parse each time) %.3f ms/op CPU\n",
              msPerOp([&] { pull::pull(db, read("[:name {:follows ...}]"), root); }));
  std::function<void(const pull::Entity&, std::vector<Value>&)> walk = [&](const pull::Entity& e, std::vector<Value>& out) {
    out.push_back(e.get("name"));
    for (const pull::Entity& c : e.refs(Keyword::intern("follows"))) walk(c, out);
  };
  std::printf("pull-one-entities %.3f ms/op CPU\n", msPerOp([&] {
                std::vector<Value> out;
                walk(*pull::Entity::of(db, root), out);
              }));
}
