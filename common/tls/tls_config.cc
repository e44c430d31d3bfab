#include "common/tls/tls_config.h"

#include <arpa/inet.h>

#include <string>

#include "absl/strings/match.h"
#include "common/status_macros.h"

namespace rollguard {

absl::Status LoadTlsSection(const ConfigNode& n, absl::string_view ca_key, TlsFiles* out) {
  RETURN_IF_ERROR(n.AllowOnly({ca_key, "cert", "key", "reload_interval"}));
  if (n.Has(ca_key)) {
    ASSIGN_OR_RETURN(out->ca, n.Path(ca_key));
  }
  if (n.Has("cert")) {
    ASSIGN_OR_RETURN(out->cert, n.Path("cert"));
  }
  if (n.Has("key")) {
    ASSIGN_OR_RETURN(out->key, n.Path("key"));
  }
  if (n.Has("reload_interval")) {
    ASSIGN_OR_RETURN(out->reload_interval, n.Duration("reload_interval"));
    if (out->reload_interval < absl::Seconds(1)) {
      return n.Error("reload_interval", "must be at least 1s");
    }
  }
  return absl::OkStatus();
}

bool IsLoopbackAddress(absl::string_view host_port) {
  std::string host(host_port.substr(0, host_port.rfind(':')));
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]"))
    host = host.substr(1, host.size() - 2);
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

}  // namespace rollguard
