// Native restore throughput on a ref-heavy db: datoms/s for single- and
// two-pass, inline and threaded, and the CPU time of all threads during
// each run; "pipeline" is the time until the last progress report before
// the end (within 10 batches of the last commit), the rest is the end phase
// and the index build. Usage: datalite_restore_bench [entities]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "datalite.h"

using namespace datalite;

static double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](timeval t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 200000;
  Value schema = edn::readOne(R"({:p/friend {:db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
                                 :p/boss {:db/valueType :db.type/ref}
                                 :p/email {:db/unique :db.unique/identity}})");
  std::vector<Db::InitDatom> datoms;
  Keyword name = Keyword::intern("p/name"), email = Keyword::intern("p/email"), friendA = Keyword::intern("p/friend"),
          boss = Keyword::intern("p/boss");
  for (int64_t i = 1; i <= n; ++i) {
    datoms.push_back({i, name, Value::string("person " + std::to_string(i))});
    datoms.push_back({i, email, Value::string("p" + std::to_string(i) + "@x")});
    datoms.push_back({i, friendA, Value::integer(1 + (i * 7919) % n)});
    datoms.push_back({i, friendA, Value::integer(1 + (i * 104729) % n)});
    datoms.push_back({i, boss, Value::integer(1 + (i * 31) % n)});
  }
  Db db = Db::init(std::move(datoms), schema);
  std::printf("source: %llu datoms\n", static_cast<unsigned long long>(db.count()));
  struct Run {
    const char* label;
    bool twoPass, threads;
    unsigned readers, workers;
  };
  for (Run r : {Run{"single-pass inline", false, false, 1, 1}, Run{"two-pass inline", true, false, 1, 1},
                Run{"single-pass 1+1 threads", false, true, 1, 1}, Run{"two-pass 1+1 threads", true, true, 1, 1},
                Run{"single-pass 1+3 threads", false, true, 1, 3}, Run{"two-pass 2+2 threads", true, true, 2, 2}}) {
    restore::Options o;
    o.twoPass = r.twoPass;
    o.threads = r.threads;
    o.readParallelism = r.readers;
    o.txParallelism = r.workers;
    std::vector<double> reports;
    o.onProgress = [&](const restore::Metrics& m) { reports.push_back(m.elapsedMs); };
    double c0 = cpuSeconds();
    auto t0 = std::chrono::steady_clock::now();
    restore::Result res = restore::restore(db, o);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu = cpuSeconds() - c0;
    double pipeline = reports.size() >= 2 ? reports[reports.size() - 2] / 1000 : 0;
    std::printf("%-26s %7.3f s  %6.2f M datoms/s  cpu %6.3f s  pipeline %6.3f s  efficiency %.3f  batches %llu\n",
                r.label, s, double(res.metrics.datomsWritten) / s / 1e6, cpu, pipeline, res.metrics.batchEfficiency,
                static_cast<unsigned long long>(res.metrics.batches));
  }
}
