#include "collector/ha/etcd_client.h"

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/http_post.h"
#include "common/redact.h"

namespace rollguard::collector {
namespace {

using nlohmann::json;

constexpr size_t kMaxAnswer = 64 << 20;  // a prefix read of control records

std::string B64(const std::string& s) { return absl::Base64Escape(s); }

std::string Unb64(const json& j) {
  std::string out;
  if (j.is_string()) absl::Base64Unescape(j.get<std::string>(), &out);
  return out;
}

// Reads that never throw, whatever etcd (or whoever answers) sent: a field
// of an object, or null.
json Field(const json& object, const char* name) {
  if (!object.is_object()) return json();
  auto it = object.find(name);
  return it == object.end() ? json() : *it;
}

bool True(const json& object, const char* name) {
  json f = Field(object, name);
  return f.is_boolean() && f.get<bool>();
}

// An array field's elements (none when absent or not an array).
std::vector<json> Items(const json& object, const char* name) {
  json f = Field(object, name);
  return f.is_array() ? f.get<std::vector<json>>() : std::vector<json>{};
}

// The gateway writes int64 as a JSON string and leaves zero values out.
int64_t Int(const json& object, const char* name) {
  if (!object.is_object()) return 0;
  auto it = object.find(name);
  if (it == object.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  int64_t v = 0;
  if (it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &v)) return v;
  return 0;
}

EtcdKv ParseKv(const json& j) {
  EtcdKv kv;
  kv.key = Unb64(Field(j, "key"));
  kv.value = Unb64(Field(j, "value"));
  kv.create_revision = Int(j, "create_revision");
  kv.mod_revision = Int(j, "mod_revision");
  kv.lease = Int(j, "lease");
  return kv;
}

// The first key after every key that starts with `prefix`.
std::string PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    auto& c = prefix.back();
    if (static_cast<unsigned char>(c) != 0xff) {
      ++c;
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');  // all keys
}

absl::StatusOr<json> Parse(const std::string& text, const std::string& what) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InternalError(absl::StrCat("etcd ", what, ": answer is not a JSON object"));
  }
  return j;
}

}  // namespace

EtcdClient::EtcdClient(std::vector<std::string> endpoints, absl::Duration timeout, std::string ca,
                       std::string cert, std::string key)
    : endpoints_(std::move(endpoints)),
      timeout_(timeout),
      ca_(std::move(ca)),
      cert_(std::move(cert)),
      key_(std::move(key)) {}

absl::StatusOr<std::string> EtcdClient::Call(const std::string& path, const std::string& body) {
  if (endpoints_.empty()) return absl::FailedPreconditionError("etcd: no endpoints");
  size_t first;
  {
    MutexLock lock(&mu_);
    first = preferred_;
  }
  absl::Status last;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    size_t at = (first + i) % endpoints_.size();
    HttpPostRequest request;
    request.url = absl::StrCat(endpoints_[at], path);
    request.body = body;
    request.timeout = timeout_;
    request.keep_body_bytes = kMaxAnswer;
    request.user_agent = "rollguard-collector";
    request.ca_file = ca_;
    request.cert_file = cert_;
    request.key_file = key_;
    absl::StatusOr<HttpPostResponse> r = HttpPost(request, {});
    if (!r.ok()) {
      // HttpPost names the URL with its path hidden (webhook paths hold
      // secrets; etcd's do not): name the endpoint and the API path instead.
      absl::string_view why = r.status().message();
      const std::string hidden = absl::StrCat(RedactUrl(request.url), ": ");
      if (absl::StartsWith(why, hidden)) why.remove_prefix(hidden.size());
      last =
          absl::UnavailableError(absl::StrCat("etcd ", RedactUrl(endpoints_[at]), path, ": ", why));
      continue;
    }
    if (r->status != 200) {
      // etcd's own error ("requested lease not found") is in the body.
      json j = json::parse(r->body_head, nullptr, false);
      json m = Field(j, "message");
      std::string message = m.is_string() ? m.get<std::string>() : r->body_head.substr(0, 200);
      last = absl::UnavailableError(absl::StrCat("etcd ", RedactUrl(endpoints_[at]), path,
                                                 ": HTTP ", r->status, ": ", message));
      if (r->status < 500) return last;  // the request is wrong, not the member
      continue;
    }
    if (r->truncated) {
      return absl::ResourceExhaustedError(
          absl::StrCat("etcd ", RedactUrl(endpoints_[at]), path, ": answer over ", kMaxAnswer >> 20,
                       " MiB (a read that should have been paged)"));
    }
    MutexLock lock(&mu_);
    preferred_ = at;
    return std::move(r->body_head);
  }
  return last;
}

absl::StatusOr<int64_t> EtcdClient::Grant(absl::Duration ttl) {
  json body = {{"TTL", std::to_string(std::max<int64_t>(1, absl::ToInt64Seconds(ttl)))}};
  absl::StatusOr<std::string> text = Call("/v3/lease/grant", body.dump());
  if (!text.ok()) return text.status();
  absl::StatusOr<json> j = Parse(*text, "lease grant");
  if (!j.ok()) return j.status();
  int64_t id = Int(*j, "ID");
  if (id == 0) return absl::InternalError("etcd lease grant: no lease id in the answer");
  return id;
}

absl::StatusOr<int64_t> EtcdClient::KeepAlive(int64_t lease) {
  json body = {{"ID", std::to_string(lease)}};
  absl::StatusOr<std::string> text = Call("/v3/lease/keepalive", body.dump());
  if (!text.ok()) return text.status();
  absl::StatusOr<json> j = Parse(*text, "lease keepalive");
  if (!j.ok()) return j.status();
  json result = Field(*j, "result");
  if (!result.is_object()) {
    return absl::InternalError("etcd lease keepalive: no result in the answer");
  }
  return std::max<int64_t>(0, Int(result, "TTL"));
}

absl::StatusOr<int64_t> EtcdClient::TimeToLive(int64_t lease) {
  json body = {{"ID", std::to_string(lease)}};
  absl::StatusOr<std::string> text = Call("/v3/lease/timetolive", body.dump());
  if (!text.ok()) return text.status();
  absl::StatusOr<json> j = Parse(*text, "lease timetolive");
  if (!j.ok()) return j.status();
  return Int(*j, "TTL");
}

absl::Status EtcdClient::Revoke(int64_t lease) {
  json body = {{"ID", std::to_string(lease)}};
  return Call("/v3/lease/revoke", body.dump()).status();
}

absl::StatusOr<EtcdClient::CreateResult> EtcdClient::CreateIfAbsent(const std::string& key,
                                                                    const std::string& value,
                                                                    int64_t lease) {
  json put = {{"key", B64(key)}, {"value", B64(value)}};
  if (lease != 0) put["lease"] = std::to_string(lease);
  json body = {{"compare",
                json::array({{{"key", B64(key)}, {"target", "CREATE"}, {"create_revision", "0"}}})},
               {"success", json::array({{{"request_put", put}}})},
               {"failure", json::array({{{"request_range", {{"key", B64(key)}}}}})}};
  absl::StatusOr<std::string> text = Call("/v3/kv/txn", body.dump());
  if (!text.ok()) return text.status();
  absl::StatusOr<json> j = Parse(*text, "txn");
  if (!j.ok()) return j.status();
  CreateResult result;
  result.created = True(*j, "succeeded");
  if (result.created) {
    result.revision = Int(Field(*j, "header"), "revision");
    return result;
  }
  // The range in the failure branch: the key's current holder (it may have
  // expired between the compare and now: then there is none).
  for (const json& r : Items(*j, "responses")) {
    for (const json& kv : Items(Field(r, "response_range"), "kvs")) result.holder = ParseKv(kv);
  }
  return result;
}

absl::StatusOr<std::optional<EtcdKv>> EtcdClient::Get(const std::string& key) {
  json body = {{"key", B64(key)}};
  absl::StatusOr<std::string> text = Call("/v3/kv/range", body.dump());
  if (!text.ok()) return text.status();
  absl::StatusOr<json> j = Parse(*text, "range");
  if (!j.ok()) return j.status();
  std::optional<EtcdKv> out;
  for (const json& kv : Items(*j, "kvs")) out = ParseKv(kv);
  return out;
}

absl::StatusOr<std::vector<EtcdKv>> EtcdClient::GetPrefix(const std::string& prefix) {
  // In pages of kPage keys, all at the first page's revision (one
  // consistent picture however long the walk).
  constexpr int kPage = 500;
  std::vector<EtcdKv> out;
  std::string from = prefix;
  int64_t revision = 0;
  while (true) {
    json body = {{"key", B64(from)}, {"range_end", B64(PrefixEnd(prefix))}, {"limit", kPage}};
    if (revision != 0) body["revision"] = std::to_string(revision);
    absl::StatusOr<std::string> text = Call("/v3/kv/range", body.dump());
    if (!text.ok()) return text.status();
    absl::StatusOr<json> j = Parse(*text, "range");
    if (!j.ok()) return j.status();
    if (revision == 0) revision = Int(Field(*j, "header"), "revision");
    std::vector<json> kvs = Items(*j, "kvs");
    for (const json& kv : kvs) out.push_back(ParseKv(kv));
    if (!True(*j, "more") || kvs.empty()) return out;
    from = out.back().key + std::string(1, '\0');  // the next key after the last
  }
}

absl::StatusOr<int64_t> EtcdClient::Put(const std::string& key, const std::string& value,
                                        int64_t lease) {
  json body = {{"key", B64(key)}, {"value", B64(value)}};
  if (lease != 0) body["lease"] = std::to_string(lease);
  absl::StatusOr<std::string> text = Call("/v3/kv/put", body.dump());
  if (!text.ok()) return text.status();
  absl::StatusOr<json> j = Parse(*text, "put");
  if (!j.ok()) return j.status();
  return Int(Field(*j, "header"), "revision");
}

absl::StatusOr<bool> EtcdClient::PutManyIfHeld(
    const std::string& guard_key, int64_t guard_revision,
    const std::vector<std::pair<std::string, std::string>>& puts) {
  json ops = json::array();
  for (const auto& [key, value] : puts) {
    ops.push_back({{"request_put", {{"key", B64(key)}, {"value", B64(value)}}}});
  }
  json body = {{"compare", json::array({{{"key", B64(guard_key)},
                                         {"target", "CREATE"},
                                         {"create_revision", std::to_string(guard_revision)}}})},
               {"success", ops}};
  absl::StatusOr<std::string> text = Call("/v3/kv/txn", body.dump());
  if (!text.ok()) return text.status();
  absl::StatusOr<json> j = Parse(*text, "txn");
  if (!j.ok()) return j.status();
  return True(*j, "succeeded");
}

absl::StatusOr<bool> EtcdClient::PutIfHeld(const std::string& guard_key, int64_t guard_revision,
                                           const std::string& key,
                                           const std::optional<std::string>& value) {
  json op = value.has_value() ? json{{"request_put", {{"key", B64(key)}, {"value", B64(*value)}}}}
                              : json{{"request_delete_range", {{"key", B64(key)}}}};
  json body = {{"compare", json::array({{{"key", B64(guard_key)},
                                         {"target", "CREATE"},
                                         {"create_revision", std::to_string(guard_revision)}}})},
               {"success", json::array({op})}};
  absl::StatusOr<std::string> text = Call("/v3/kv/txn", body.dump());
  if (!text.ok()) return text.status();
  absl::StatusOr<json> j = Parse(*text, "txn");
  if (!j.ok()) return j.status();
  return True(*j, "succeeded");
}

}  // namespace rollguard::collector
