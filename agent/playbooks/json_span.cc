#include "agent/playbooks/json_span.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rollguard::agent {
namespace {

constexpr int kMaxDepth = 512;

// A recursive-descent walk over text already known to be valid JSON,
// recording the spans of values whose key path equals the wanted one.
class Walker {
 public:
  Walker(absl::string_view text, std::vector<std::string> path)
      : t_(text), path_(std::move(path)) {}

  bool Run() {
    SkipSpace();
    return Value(0, true);
  }
  const std::vector<JsonSpan>& found() const { return found_; }

 private:
  void SkipSpace() {
    while (i_ < t_.size() &&
           (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r')) {
      ++i_;
    }
  }

  // A string at i_ (the opening quote), decoded into *out when not null.
  bool String(std::string* out) {
    ++i_;
    while (i_ < t_.size() && t_[i_] != '"') {
      if (t_[i_] == '\\') {
        if (i_ + 1 >= t_.size()) return false;
        char e = t_[i_ + 1];
        if (e == 'u') {
          if (i_ + 6 > t_.size()) return false;
          // Keys are compared decoded; \u escapes go through the library.
          if (out != nullptr) {
            size_t j = i_ + 6;
            std::string esc(t_.substr(i_, 6));
            while (j + 6 <= t_.size() && t_[j] == '\\' && t_[j + 1] == 'u') {
              esc.append(t_.data() + j, 6);
              j += 6;
            }
            nlohmann::json decoded = nlohmann::json::parse("\"" + esc + "\"", nullptr, false);
            if (decoded.is_discarded()) return false;
            out->append(decoded.get<std::string>());
            i_ = j;
            continue;
          }
          i_ += 6;
          continue;
        }
        if (out != nullptr) {
          switch (e) {
            case 'b':
              out->push_back('\b');
              break;
            case 'f':
              out->push_back('\f');
              break;
            case 'n':
              out->push_back('\n');
              break;
            case 'r':
              out->push_back('\r');
              break;
            case 't':
              out->push_back('\t');
              break;
            default:
              out->push_back(e);
          }
        }
        i_ += 2;
        continue;
      }
      if (out != nullptr) out->push_back(t_[i_]);
      ++i_;
    }
    if (i_ >= t_.size()) return false;
    ++i_;  // closing quote
    return true;
  }

  // `on_path`: the keys so far equal path_'s first `depth` parts.
  bool Value(int depth, bool on_path) {
    if (depth > kMaxDepth || i_ >= t_.size()) return false;
    const size_t begin = i_;
    JsonKind kind;
    const char c = t_[i_];
    if (c == '{') {
      kind = JsonKind::kObject;
      if (!Object(depth, on_path)) return false;
    } else if (c == '[') {
      kind = JsonKind::kArray;
      if (!Array(depth)) return false;
    } else if (c == '"') {
      kind = JsonKind::kString;
      if (!String(nullptr)) return false;
    } else {
      kind = c == 't' || c == 'f' ? JsonKind::kBool
             : c == 'n'           ? JsonKind::kNull
                                  : JsonKind::kNumber;
      while (i_ < t_.size() && t_[i_] != ',' && t_[i_] != '}' && t_[i_] != ']' && t_[i_] != ' ' &&
             t_[i_] != '\t' && t_[i_] != '\n' && t_[i_] != '\r') {
        ++i_;
      }
      if (i_ == begin) return false;
    }
    if (on_path && static_cast<size_t>(depth) == path_.size()) {
      found_.push_back({begin, i_, kind});
    }
    return true;
  }

  bool Object(int depth, bool on_path) {
    ++i_;
    SkipSpace();
    if (i_ < t_.size() && t_[i_] == '}') {
      ++i_;
      return true;
    }
    while (i_ < t_.size()) {
      if (t_[i_] != '"') return false;
      std::string key;
      if (!String(&key)) return false;
      SkipSpace();
      if (i_ >= t_.size() || t_[i_] != ':') return false;
      ++i_;
      SkipSpace();
      const bool next_on_path = on_path && static_cast<size_t>(depth) < path_.size() &&
                                key == path_[static_cast<size_t>(depth)];
      if (!Value(depth + 1, next_on_path)) return false;
      SkipSpace();
      if (i_ < t_.size() && t_[i_] == ',') {
        ++i_;
        SkipSpace();
        continue;
      }
      if (i_ < t_.size() && t_[i_] == '}') {
        ++i_;
        return true;
      }
      return false;
    }
    return false;
  }

  // Arrays are walked (their values may hold objects) but never on the path.
  bool Array(int depth) {
    ++i_;
    SkipSpace();
    if (i_ < t_.size() && t_[i_] == ']') {
      ++i_;
      return true;
    }
    while (i_ < t_.size()) {
      if (!Value(depth + 1, false)) return false;
      SkipSpace();
      if (i_ < t_.size() && t_[i_] == ',') {
        ++i_;
        SkipSpace();
        continue;
      }
      if (i_ < t_.size() && t_[i_] == ']') {
        ++i_;
        return true;
      }
      return false;
    }
    return false;
  }

  absl::string_view t_;
  std::vector<std::string> path_;
  size_t i_ = 0;
  std::vector<JsonSpan> found_;
};

}  // namespace

absl::StatusOr<JsonSpan> FindJsonValue(absl::string_view text, absl::string_view dotted_path) {
  if (!nlohmann::json::accept(text.begin(), text.end())) {
    return absl::InvalidArgumentError("not valid JSON");
  }
  Walker walker(text, absl::StrSplit(dotted_path, '.'));
  if (!walker.Run()) {
    return absl::InvalidArgumentError("JSON nested too deeply to edit");
  }
  if (walker.found().size() != 1) {
    return absl::FailedPreconditionError(absl::StrCat("key \"", dotted_path, "\" found ",
                                                      walker.found().size(),
                                                      " times (must be exactly once); nothing "
                                                      "changed"));
  }
  return walker.found()[0];
}

}  // namespace rollguard::agent
