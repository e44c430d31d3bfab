// Status propagation helpers. Debian's Abseil (20220623) has no
// RETURN_IF_ERROR / ASSIGN_OR_RETURN, so we define the two we need once here.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RG_CONCAT_INNER_(a, b) a##b
#define RG_CONCAT_(a, b) RG_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                \
  do {                                       \
    ::absl::Status rg_status_ = (expr);      \
    if (!rg_status_.ok()) return rg_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F());` declares x from F()'s value, or returns
// F()'s error status from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  RG_ASSIGN_OR_RETURN_IMPL_(RG_CONCAT_(rg_statusor_, __LINE__), lhs, expr)

#define RG_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr)     \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
