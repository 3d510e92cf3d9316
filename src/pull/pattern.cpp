// Pull pattern parsing and validation.
#include <string>

#include "core/error.h"
#include "db/show.h"
#include "pull/pattern_impl.h"
#include "pull/pull.h"

namespace datalite::pull {

namespace {

constexpr uint32_t kMaxPatternDepth = 512;

[[noreturn]] void bad(const std::string& what, const Value& form) {
  raise(ErrorCode::ParseError, "Invalid pull pattern: " + what + ", got " + show(form));
}

bool isSymbol(const Value& v, std::string_view name) { return v.isSymbol() && v.asKeyword().str() == name; }

class Parser {
 public:
  explicit Parser(PatternImpl& impl) : impl_(impl) {}

  Node* parseNode(const Value& pattern, uint32_t depth) {
    if (!pattern.isVector()) bad("a pattern must be a vector", pattern);
    if (depth > kMaxPatternDepth) bad("patterns nest at most " + std::to_string(kMaxPatternDepth) + " levels", pattern);
    impl_.nodes.push_back(std::make_unique<Node>());
    Node* node = impl_.nodes.back().get();
    for (const Value& item : pattern.items()) parseElement(*node, item, depth);
    finish(*node);
    return node;
  }

 private:
  void parseElement(Node& node, const Value& item, uint32_t depth) {
    if (isSymbol(item, "*")) {
      if (!node.wildcard) {
        node.wildcard = true;
        node.wildcardPos = node.specs.size();
        node.needsForward = true;
      }
      return;
    }
    if (item.isKeyword() || item.isList() || item.isVector()) {
      Spec s;
      parseAttrExpr(item, s, 0);
      node.specs.push_back(std::move(s));
      return;
    }
    if (item.isMap()) {
      if (item.mapSize() == 0) bad("a map spec needs at least one entry", item);
      for (size_t i = 0; i < item.mapSize(); ++i) {
        const Value& k = item.mapKey(i);
        const Value& v = item.mapVal(i);
        if (!(k.isKeyword() || k.isList() || k.isVector())) bad("a map spec key must be an attribute or attribute expression", k);
        Spec s;
        parseAttrExpr(k, s, 0);
        if (s.isDbId) bad(":db/id cannot have a sub-pattern", item);
        if (v.isVector()) {
          s.sub = SubKind::Nested;
          s.nested = parseNode(v, depth + 1);
        } else if (isSymbol(v, "...")) {
          s.sub = SubKind::Recurse;
          s.nested = &node;
          s.recursionLimit = 0;
          s.recursionIndex = impl_.recursionSlots++;
        } else if (v.kind() == Kind::Long && v.asLong() > 0) {
          s.sub = SubKind::Recurse;
          s.nested = &node;
          s.recursionLimit = v.asLong() > 0x7fffffff ? 0x7fffffff : static_cast<uint32_t>(v.asLong());
          s.recursionIndex = impl_.recursionSlots++;
        } else {
          bad("a map spec value must be a pattern vector, '...' or a positive recursion depth", v);
        }
        node.specs.push_back(std::move(s));
      }
      return;
    }
    bad("expected an attribute, '*', an attribute expression or a map spec", item);
  }

  // keyword | (limit expr n) | (default expr v) | [kw opt val ...] | (kw opt val ...)
  void parseAttrExpr(const Value& form, Spec& s, uint32_t depth) {
    if (depth > 16) bad("attribute expression nested too deeply", form);
    if (form.isKeyword()) {
      setAttr(form, s);
      return;
    }
    if (!form.isSequential() || form.count() == 0) bad("expected an attribute expression", form);
    const Value& head = form.at(0);
    if (form.isList() && head.isSymbol()) {
      std::string_view op = head.asKeyword().str();
      if (op == "limit") {
        if (form.count() != 3) bad("(limit attr n) takes an attribute and a limit", form);
        parseAttrExpr(form.at(1), s, depth + 1);
        setLimit(form.at(2), s, form);
        return;
      }
      if (op == "default") {
        if (form.count() != 3) bad("(default attr value) takes an attribute and a value", form);
        parseAttrExpr(form.at(1), s, depth + 1);
        s.hasDefault = true;
        s.defaultValue = form.at(2);
        return;
      }
      bad("unknown attribute expression (expected limit or default)", form);
    }
    if (!head.isKeyword()) bad("an attribute expression must start with an attribute keyword", form);
    setAttr(head, s);
    if (form.count() % 2 != 1) bad("attribute options come in :option value pairs", form);
    for (size_t i = 1; i < form.count(); i += 2) {
      const Value& opt = form.at(i);
      const Value& val = form.at(i + 1);
      std::string_view name = opt.isKeyword() ? opt.asKeyword().str() : std::string_view();
      if (name == "limit") {
        setLimit(val, s, form);
      } else if (name == "default") {
        s.hasDefault = true;
        s.defaultValue = val;
      } else if (name == "as") {
        s.key = val;
        s.hasAs = true;
      } else if (name == "xform") {
        bad(":xform is not supported", form);
      } else {
        bad("unknown attribute option " + show(opt) + " (expected :limit, :default or :as)", form);
      }
    }
  }

  void setLimit(const Value& v, Spec& s, const Value& form) {
    if (v.isNil()) {
      s.unlimited = true;
    } else if (v.kind() == Kind::Long && v.asLong() > 0) {
      s.unlimited = false;
      s.limit = static_cast<uint64_t>(v.asLong());
    } else {
      bad("a limit must be a positive integer or nil", form);
    }
  }

  void setAttr(const Value& kw, Spec& s) {
    Keyword k = kw.asKeyword();
    if (!s.hasAs) s.key = kw;
    if (k.str() == "db/id") {
      s.isDbId = true;
      return;
    }
    std::string_view name = k.name();
    if (!name.empty() && name[0] == '_') {
      if (name.size() == 1) bad("a reverse attribute needs a name after '_'", kw);
      std::string fwd;
      if (!k.ns().empty()) {
        fwd.append(k.ns());
        fwd.push_back('/');
      }
      fwd.append(name.substr(1));
      s.reverse = true;
      s.attr = Keyword::intern(fwd);
    } else {
      s.attr = k;
    }
  }

  static void finish(Node& node) {
    for (size_t i = 0; i < node.specs.size(); ++i) {
      const Spec& s = node.specs[i];
      if (s.isDbId) node.hasDbIdSpec = true;
      if (!s.isDbId && !s.reverse) node.needsForward = true;
      if (s.hasAs) node.mayCollide = true;
      for (size_t j = 0; j < i && !node.mayCollide; ++j)
        if (node.specs[j].key == s.key) node.mayCollide = true;
    }
  }

  PatternImpl& impl_;
};

}  // namespace

const Node& wildcardNode() {
  static const Node node = [] {
    Node n;
    n.wildcard = true;
    n.needsForward = true;
    return n;
  }();
  return node;
}

Pattern::Pattern() {
  static const std::shared_ptr<const PatternImpl> empty = [] {
    auto p = std::make_shared<PatternImpl>();
    p->source = Value::vector({});
    p->nodes.push_back(std::make_unique<Node>());
    return p;
  }();
  impl_ = empty;
}

const Value& Pattern::source() const { return impl_->source; }

Pattern parsePattern(const Value& pattern) {
  auto impl = std::make_shared<PatternImpl>();
  impl->source = pattern;
  Parser(*impl).parseNode(pattern, 0);
  Pattern p;
  p.impl_ = std::move(impl);
  return p;
}

}  // namespace datalite::pull
