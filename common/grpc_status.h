// absl::StatusCode maps one-to-one onto gRPC codes; convert only at the RPC edge.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace rollguard {

// A write sent to an HA member that is not the acting leader is refused
// FAILED_PRECONDITION with a message that starts with this; the CLI then
// tries the next collector it was given.
inline constexpr char kNotLeaderPrefix[] = "not the leader";

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace rollguard
