#include "db/show.h"

#include "edn/edn.h"

namespace datalite {

std::string show(const Value& v) {
  constexpr size_t kMaxShown = 200;
  std::string text;
  try {
    text = edn::print(v);
  } catch (...) {
    text = "<" + std::string(kindName(v.kind())) + ">";
  }
  if (text.size() > kMaxShown) text = text.substr(0, kMaxShown) + "...";
  return text;
}

}  // namespace datalite
