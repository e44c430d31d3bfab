#!/usr/bin/env python3
"""The runbook's validate_config.py: config.py must load and name its features."""
import sys

scope = {}
with open("config.py") as f:
    exec(compile(f.read(), "config.py", "exec"), scope)
features = scope.get("FEATURES")
if not isinstance(features, dict) or "soccer_integration" not in features:
    print("config.py: FEATURES with soccer_integration is missing")
    sys.exit(1)
print("config.py valid: %d features, soccer_integration=%s" % (len(features), features["soccer_integration"]))
