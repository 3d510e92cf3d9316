#include "db/datom.h"

#include "core/encoding.h"
#include "core/error.h"

namespace datalite {

std::string_view indexOrderName(IndexOrder order) {
  switch (order) {
    case IndexOrder::EAVT: return "eavt";
    case IndexOrder::AEVT: return "aevt";
    case IndexOrder::AVET: return "avet";
    case IndexOrder::VAET: return "vaet";
  }
  return "eavt";
}

bool parseIndexOrder(std::string_view name, IndexOrder& out) {
  if (!name.empty() && name[0] == ':') name.remove_prefix(1);
  for (IndexOrder o : {IndexOrder::EAVT, IndexOrder::AEVT, IndexOrder::AVET, IndexOrder::VAET}) {
    if (name == indexOrderName(o)) {
      out = o;
      return true;
    }
  }
  return false;
}

void appendKey(IndexOrder order, int64_t e, AttrId a, std::string_view v, int64_t tx, std::string& out) {
  uint64_t t = static_cast<uint64_t>(tx - kTx0);
  switch (order) {
    case IndexOrder::EAVT:
      encodeUnsigned(static_cast<uint64_t>(e), out);
      encodeUnsigned(a, out);
      out.append(v);
      break;
    case IndexOrder::AEVT:
      encodeUnsigned(a, out);
      encodeUnsigned(static_cast<uint64_t>(e), out);
      out.append(v);
      break;
    case IndexOrder::AVET:
      encodeUnsigned(a, out);
      out.append(v);
      encodeUnsigned(static_cast<uint64_t>(e), out);
      break;
    case IndexOrder::VAET: {
      // Ref values are longs: re-encode the entity id unsigned.
      const uint8_t* p = reinterpret_cast<const uint8_t*>(v.data());
      Value target = decodeValue(p, p + v.size());
      encodeUnsigned(static_cast<uint64_t>(target.asLong()), out);
      encodeUnsigned(a, out);
      encodeUnsigned(static_cast<uint64_t>(e), out);
      break;
    }
  }
  encodeUnsigned(t, out);
}

KeyParts splitKey(IndexOrder order, std::string_view key, bool temporal) {
  KeyParts k;
  const uint8_t* begin = reinterpret_cast<const uint8_t*>(key.data());
  const uint8_t* end = begin + key.size();
  if (temporal) {
    if (key.empty()) raise(ErrorCode::StoreError, "corrupt key: empty");
    --end;
    k.added = *end == kOpAssert;
  }
  const uint8_t* p = begin;
  auto readValue = [&] {
    const uint8_t* start = p;
    p = skipValue(p, end);
    k.value = std::string_view(reinterpret_cast<const char*>(start), static_cast<size_t>(p - start));
  };
  switch (order) {
    case IndexOrder::EAVT:
      k.e = static_cast<int64_t>(decodeUnsigned(p, end));
      k.a = static_cast<AttrId>(decodeUnsigned(p, end));
      readValue();
      break;
    case IndexOrder::AEVT:
      k.a = static_cast<AttrId>(decodeUnsigned(p, end));
      k.e = static_cast<int64_t>(decodeUnsigned(p, end));
      readValue();
      break;
    case IndexOrder::AVET:
      k.a = static_cast<AttrId>(decodeUnsigned(p, end));
      readValue();
      k.e = static_cast<int64_t>(decodeUnsigned(p, end));
      break;
    case IndexOrder::VAET: {
      // The value is an unsigned entity id here; expose it as an encoded long.
      const uint8_t* start = p;
      decodeUnsigned(p, end);
      k.value = std::string_view(reinterpret_cast<const char*>(start), static_cast<size_t>(p - start));
      k.a = static_cast<AttrId>(decodeUnsigned(p, end));
      k.e = static_cast<int64_t>(decodeUnsigned(p, end));
      break;
    }
  }
  k.txOffset = static_cast<size_t>(p - begin);
  k.tx = static_cast<int64_t>(decodeUnsigned(p, end)) + kTx0;
  if (p != end) raise(ErrorCode::StoreError, "corrupt key: trailing bytes");
  return k;
}

Datom decodeDatom(IndexOrder order, std::string_view key, bool temporal) {
  KeyParts k = splitKey(order, key, temporal);
  Datom d;
  d.e = k.e;
  d.a = k.a;
  d.tx = k.tx;
  d.added = k.added;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(k.value.data());
  const uint8_t* end = p + k.value.size();
  if (order == IndexOrder::VAET) d.v = Value::integer(static_cast<int64_t>(decodeUnsigned(p, end)));
  else d.v = decodeValue(p, end);
  return d;
}

}  // namespace datalite
