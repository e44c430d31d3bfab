#include "collector/ha/leader_election.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/redact.h"
#include "common/tls/tls_config.h"

namespace rollguard::collector {
namespace {

using nlohmann::json;

constexpr absl::Duration kHeartbeatEvery = absl::Seconds(1);

// Lease arithmetic runs on the monotonic clock: a wall clock stepped back
// (NTP, `date -s`) must not keep a leader acting past its lease.
absl::Time SteadyNow() {
  return absl::UnixEpoch() + absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

struct MemberInfo {
  std::string name;
  std::string address;
  int64_t heartbeat_ms = 0;
  int64_t last_stored_ms = 0;
};

MemberInfo ParseMember(const std::string& text) {
  MemberInfo m;
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return m;
  auto str = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto num = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{0};
  };
  m.name = str("member");
  m.address = str("address");
  m.heartbeat_ms = num("heartbeat_ms");
  m.last_stored_ms = num("last_stored_ms");
  return m;
}

}  // namespace

LeaderElection::LeaderElection(HaOptions options, const Clock* clock)
    : options_(std::move(options)),
      clock_(clock),
      prefix_(absl::StrCat("/rollguard/", options_.cluster, "/")),
      // Room for one renewal in flight and the two clocks' rates: the leader
      // stops acting this long before etcd could let its key go.
      margin_(std::max(options_.ttl / 10, absl::Milliseconds(200))),
      etcd_(options_.etcd,
            std::max(std::min(options_.ttl / 4, absl::Seconds(2)), absl::Milliseconds(200)),
            options_.tls_ca, options_.tls_cert, options_.tls_key) {}

LeaderElection::~LeaderElection() { Stop(); }

void LeaderElection::Start(OnChange on_change, std::function<int64_t()> last_stored_ms,
                           const std::string& address, Prepare prepare) {
  prepare_ = std::move(prepare);
  if (options_.address.empty()) {
    // A wildcard listen address is no address to give others: the host's
    // name with the port is.
    const std::string host = address.substr(0, address.rfind(':'));
    if (host == "0.0.0.0" || host == "[::]" || host.empty()) {
      char name[256] = {0};
      if (gethostname(name, sizeof(name) - 1) == 0 && name[0] != '\0') {
        options_.address = absl::StrCat(name, address.substr(address.rfind(':')));
      } else {
        options_.address = address;
      }
    } else {
      options_.address = address;
    }
  }
  if (options_.member.empty()) {
    char host[256] = {0};
    if (gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "collector");
    std::string port = address.substr(address.rfind(':') + 1);
    options_.member = absl::StrCat(host, ":", port);
  }
  on_change_ = std::move(on_change);
  last_stored_ms_ = std::move(last_stored_ms);
  std::vector<std::string> etcd;
  for (const std::string& url : options_.etcd) {
    etcd.push_back(RedactUrl(url));
    if (absl::StartsWith(url, "http://")) {
      std::string host_port = url.substr(7, url.find('/', 7) - 7);
      if (!IsLoopbackAddress(host_port)) {
        spdlog::warn(
            "ha: etcd at {} in plaintext: whoever can reach it can write the control records the "
            "next leader acts on; use https with ha.tls (and etcd's client-certificate auth)",
            RedactUrl(url));
      }
    }
  }
  spdlog::info("ha: member '{}' ({}) of cluster '{}', etcd {}, lease ttl {}s", options_.member,
               options_.address, options_.cluster, absl::StrJoin(etcd, ","),
               absl::ToInt64Seconds(options_.ttl));
  thread_ = std::thread([this] { Run(); });
}

void LeaderElection::Stop() {
  {
    MutexLock lock(&mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  StepDown("stopping");
  // Revoking deletes the leadership key now, not ttl from now: a clean
  // stop hands over at the follower's next poll.
  if (lease_ != 0) {
    if (absl::Status s = etcd_.Revoke(lease_); !s.ok()) {
      spdlog::warn("ha: revoking the lease on stop: {}", s.ToString());
    }
    lease_ = 0;
  }
}

bool LeaderElection::Acting() const {
  MutexLock lock(&mu_);
  return leader_ && SteadyNow() < acting_until_;
}

int64_t LeaderElection::Epoch() const {
  MutexLock lock(&mu_);
  return leader_ ? epoch_ : 0;
}

std::string LeaderElection::LeaderHint() const {
  MutexLock lock(&mu_);
  return hint_;
}

int64_t LeaderElection::HeldEpoch() const {
  MutexLock lock(&mu_);
  return held_epoch_;
}

bool LeaderElection::leader() const {
  MutexLock lock(&mu_);
  return leader_;
}

void LeaderElection::Run() {
  MutexLock lock(&mu_);
  while (!stop_) {
    lock.Unlock();
    Round();
    lock.Lock();
    cv_.wait_for(lock.native(), absl::ToChronoMilliseconds(options_.poll), [&] {
      mu_.AssertHeld();  // a wait predicate runs with the lock retaken
      return stop_;
    });
  }
}

void LeaderElection::Round() {
  absl::Time now = SteadyNow();
  if (lease_ == 0 || now >= lease_until_) {
    if (lease_ != 0) StepDown("its lease ran out before it could be renewed");
    lease_ = 0;
    absl::StatusOr<int64_t> id = etcd_.Grant(options_.ttl);
    if (!id.ok()) {
      Warn(absl::StrCat("cannot get a lease from etcd: ", id.status().ToString()));
      return;
    }
    lease_ = *id;
    lease_until_ = now + options_.ttl;
    next_renew_ = now + options_.ttl / 3;
    next_heartbeat_ = now;
  }
  if (now >= next_renew_) Renew();
  if (lease_ == 0) return;
  if (SteadyNow() >= next_heartbeat_) Heartbeat();
  Campaign();
}

void LeaderElection::Warn(const std::string& what) {
  // An etcd outage fails every request of every poll: one line every 10 s,
  // with how many were left out.
  absl::Time now = SteadyNow();
  if (now - last_warning_at_ < absl::Seconds(10)) {
    ++suppressed_warnings_;
    return;
  }
  last_warning_at_ = now;
  if (suppressed_warnings_ > 0) {
    spdlog::warn("ha: {} ({} more etcd errors in the last 10 s not logged)", what,
                 suppressed_warnings_);
  } else {
    spdlog::warn("ha: {}", what);
  }
  suppressed_warnings_ = 0;
}

void LeaderElection::RenewDuringPrepare() {
  if (lease_ != 0 && SteadyNow() >= next_renew_) Renew();
}

void LeaderElection::Renew() {
  absl::Time sent = SteadyNow();
  absl::StatusOr<int64_t> ttl = etcd_.KeepAlive(lease_);
  if (!ttl.ok()) {
    // Try again next round; Acting() runs out on its own meanwhile.
    Warn(absl::StrCat("renewing the lease: ", ttl.status().ToString()));
    next_renew_ = sent + options_.poll;
    return;
  }
  if (*ttl == 0) {
    StepDown("etcd says its lease expired");
    lease_ = 0;
    return;
  }
  lease_until_ = sent + absl::Seconds(*ttl);
  next_renew_ = sent + options_.ttl / 3;
  MutexLock lock(&mu_);
  if (leader_) acting_until_ = lease_until_ - margin_;
}

void LeaderElection::Heartbeat() {
  next_heartbeat_ = SteadyNow() + kHeartbeatEvery;
  absl::StatusOr<int64_t> r =
      etcd_.Put(absl::StrCat(prefix_, "members/", options_.member), MemberValue(), lease_);
  if (!r.ok()) Warn(absl::StrCat("writing the member key: ", r.status().ToString()));
}

std::string LeaderElection::MemberValue() const {
  json j = {{"member", options_.member},
            {"address", options_.address},
            {"heartbeat_ms", clock_->NowMs()},
            {"last_stored_ms", last_stored_ms_ ? last_stored_ms_() : 0}};
  return j.dump();
}

void LeaderElection::Campaign() {
  json value = {{"member", options_.member}, {"address", options_.address}};
  absl::StatusOr<EtcdClient::CreateResult> r =
      etcd_.CreateIfAbsent(LeaderKey(), value.dump(), lease_);
  if (!r.ok()) {
    Warn(absl::StrCat("reading the leadership key: ", r.status().ToString()));
    if (absl::StrContains(r.status().message(), "lease not found")) {
      // Our lease is gone at etcd (revoked, or expired unseen): so is the key.
      StepDown("etcd no longer has its lease");
      lease_ = 0;
    }
    return;
  }
  if (r->created) {
    // Created now: if this member thought it led, its key had vanished (an
    // operator deleted it?): that leadership ended; this is a new epoch.
    if (leader()) StepDown("its leadership key vanished");
    BecomeLeader(r->revision, lease_until_ - margin_);
    return;
  }
  if (!r->holder.has_value()) return;  // expired in between: next round
  if (r->holder->lease == lease_) {
    // Ours (an earlier answer was lost on the way back).
    if (!leader()) BecomeLeader(r->holder->create_revision, lease_until_ - margin_);
    return;
  }
  MemberInfo holder = ParseMember(r->holder->value);
  if (leader()) StepDown(absl::StrCat("member '", holder.name, "' holds the leadership key"));
  std::string hint = absl::StrCat(holder.name, " at ", holder.address);
  {
    MutexLock lock(&mu_);
    if (hint_ == hint) return;
    hint_ = hint;
  }
  spdlog::info("ha: member '{}' follows; the leader is {} (epoch {})", options_.member, hint,
               r->holder->create_revision);
}

void LeaderElection::BecomeLeader(int64_t epoch, absl::Time acting_until) {
  {
    MutexLock lock(&mu_);
    held_epoch_ = epoch;
  }
  if (prepare_) {
    absl::Time started = SteadyNow();
    if (absl::Status s = prepare_(epoch); !s.ok()) {
      // Not ready to act: give the key back rather than lead half-informed.
      spdlog::error("ha: member '{}' won epoch {} but cannot catch up ({}); giving it back",
                    options_.member, epoch, s.ToString());
      {
        MutexLock lock(&mu_);
        held_epoch_ = 0;
      }
      (void)etcd_.PutIfHeld(LeaderKey(), epoch, LeaderKey(), std::nullopt);
      return;
    }
    // (The lease is not renewed meanwhile: a catch-up longer than the
    // lease ends with acting_until already past, until the next renewal.)
    spdlog::info("ha: caught up with the cluster's control records in {} ms",
                 absl::ToInt64Milliseconds(SteadyNow() - started));
  }
  {
    MutexLock lock(&mu_);
    leader_ = true;
    epoch_ = epoch;
    acting_until_ = acting_until;
    hint_ = absl::StrCat(options_.member, " at ", options_.address);
  }
  spdlog::warn("ha: member '{}' leads (epoch {})", options_.member, epoch);
  if (on_change_) on_change_(true, epoch);
}

void LeaderElection::StepDown(const std::string& why) {
  {
    MutexLock lock(&mu_);
    held_epoch_ = 0;
    if (!leader_) return;
    leader_ = false;
    acting_until_ = absl::InfinitePast();
    hint_.clear();
  }
  spdlog::warn("ha: member '{}' stops leading: {}", options_.member, why);
  if (on_change_) on_change_(false, 0);
}

absl::StatusOr<HaView> LeaderElection::View() const {
  HaView view;
  view.cluster = options_.cluster;
  view.self = options_.member;
  absl::StatusOr<std::optional<EtcdKv>> key = etcd_.Get(LeaderKey());
  if (!key.ok()) return key.status();
  if (key->has_value()) {
    MemberInfo m = ParseMember((*key)->value);
    view.leader = m.name;
    view.leader_address = m.address;
    view.epoch = (*key)->create_revision;
    absl::StatusOr<int64_t> left = etcd_.TimeToLive((*key)->lease);
    if (left.ok()) view.lease_ttl_left_s = *left;
  }
  absl::StatusOr<std::vector<EtcdKv>> members = etcd_.GetPrefix(prefix_ + "members/");
  if (!members.ok()) return members.status();
  for (const EtcdKv& kv : *members) {
    MemberInfo m = ParseMember(kv.value);
    HaMember out;
    out.name = m.name;
    out.address = m.address;
    out.leader = !view.leader.empty() && m.name == view.leader;
    out.heartbeat_ms = m.heartbeat_ms;
    out.last_stored_ms = m.last_stored_ms;
    view.members.push_back(std::move(out));
  }
  return view;
}

}  // namespace rollguard::collector
