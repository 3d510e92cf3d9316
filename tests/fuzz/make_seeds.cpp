// Writes the binary seed corpora (tests/fuzz/corpus/<harness>/) the text
// seeds cannot express: snapshots, store records and session calls. Run by
// scripts/fuzz.sh --seeds; the output is deterministic and kept in git.
#include <filesystem>
#include <fstream>

#include "api/session.h"
#include "serial/serial.h"
#include "store_fixture.h"

using namespace datalite;
using namespace datalite::serial;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& dir, const std::string& name, std::string_view bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string sessionCall(api::Op op, const std::function<void(api::WireWriter&)>& fill) {
  std::string body;
  {
    api::WireWriter w(body);
    fill(w);
  }
  std::string out;
  out.push_back(static_cast<char>(op));
  out.push_back(static_cast<char>(body.size() & 0xff));
  out.push_back(static_cast<char>(body.size() >> 8));
  return out + body;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path corpus = argc > 1 ? argv[1] : "tests/fuzz/corpus";
  const Db& db = fuzz::sampleDb();

  write(corpus / "deserialize", "sample.bin", serializeDb(db));
  write(corpus / "deserialize", "empty.bin", serializeDb(Db::empty()));
  write(corpus / "serializable", "sample.json", "\0" + toSerializableJson(db));
  write(corpus / "serializable", "sample.edn", "\1" + toEdnDump(db));

  fuzz::StoreImage image = fuzz::buildStoreImage();
  write(corpus / "store", "root", "\0" + image.root);
  size_t i = 1;
  for (const auto& [hex, node] : image.nodes)
    write(corpus / "store", "node-" + std::to_string(i++), std::string(1, static_cast<char>(i - 1)) + node.second);

  using api::Op;
  auto value = [](const char* edn) { return edn::readOne(edn); };
  write(corpus / "session", "query",
        sessionCall(Op::Query, [&](api::WireWriter& w) {
          w.value(value("[:find ?n ?a :in $ ?min :where [?e :name ?n] [(get-else $ ?e :age 0) ?a] [(>= ?a ?min)]]"));
          w.varint(2);
          w.byte(0);
          w.varint(2);
          w.byte(1);
          w.value(Value::integer(1));
        }));
  write(corpus / "session", "pull-datoms",
        sessionCall(Op::Pull, [&](api::WireWriter& w) {
          w.varint(2);
          w.value(value("[* {:friend [:name]}]"));
          w.value(value("[:name \"a\"]"));
        }) + sessionCall(Op::Datoms, [&](api::WireWriter& w) {
          w.varint(2);
          w.value(Value::keyword("avet"));
          w.value(value("[:name]"));
        }));
  write(corpus / "session", "transact-history",
        sessionCall(Op::Transact, [&](api::WireWriter& w) {
          w.varint(2);
          w.value(value("[[:db/retractEntity [:name \"b\"]] {:name \"c\" :friend [:name \"a\"]}]"));
          w.value(Value());
          w.signedVarint(-1);
        }) + sessionCall(Op::History, [&](api::WireWriter& w) { w.varint(2); }) +
            sessionCall(Op::Serialize, [&](api::WireWriter& w) { w.varint(2); }));
  return 0;
}
