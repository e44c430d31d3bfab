#!/usr/bin/env python3
"""A small runnable stand-in for the sports Discord bot, for rollguard's demo
and tests. It has the real bot's shape: FEATURES in config.py, MLB and SOCCER
leagues, the runbook's --safe-mode / --performance-mode / --validate-data /
--emergency-mode flags, and it reports each simulated command's timing over
StatsD. It talks to no Discord server.

Faults for demos and drills (files under faults/, or FAULTS in config.py):
  faults/error_rate   a number 0-100: that share of commands fail
  faults/critical     present: a CRITICAL line is logged every second
"""
import argparse
import json
import os
import random
import signal
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def load_config():
    scope = {}
    with open(os.path.join(HERE, "config.py")) as f:
        exec(compile(f.read(), "config.py", "exec"), scope)
    return scope


class SportsBot:
    def __init__(self, args=None):
        cfg = load_config()
        self.features = cfg["FEATURES"]
        self.rate_limits = cfg.get("RATE_LIMITS", {})
        self.fallbacks = cfg.get("FALLBACKS", {})
        # A fault shipped with a deploy (the demo's "bad deploy" sets it in
        # config.py; restoring config.py.backup removes it).
        self.deploy_error_rate = float(cfg.get("FAULTS", {}).get("error_rate", 0))
        safe = bool(args and args.safe_mode)
        self.mode = ("safe" if safe else "performance" if args and args.performance_mode
                     else "validate-data" if args and args.validate_data
                     else "emergency" if args and args.emergency_mode else "normal")
        self.leagues = {
            "MLB": {"active": True},
            "SOCCER": {"active": bool(self.features.get("soccer_integration")) and not safe},
        }


def log(line):
    os.makedirs(os.path.join(HERE, "logs"), exist_ok=True)
    with open(os.path.join(HERE, "logs", "bot.log"), "a") as f:
        f.write(time.strftime("%Y-%m-%dT%H:%M:%S ") + line + "\n")


def fault_error_rate():
    try:
        with open(os.path.join(HERE, "faults", "error_rate")) as f:
            return float(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0.0


def write_state(bot, avg):
    os.makedirs(os.path.join(HERE, "run"), exist_ok=True)
    state = {"leagues": bot.leagues, "mode": bot.mode, "features": bot.features,
             "avg_response_time": avg, "pid": os.getpid()}
    tmp = os.path.join(HERE, "run", "state.json.tmp")
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, os.path.join(HERE, "run", "state.json"))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    for flag in ("--safe-mode", "--performance-mode", "--validate-data", "--emergency-mode"):
        p.add_argument(flag, action="store_true")
    args = p.parse_args()
    bot = SportsBot(args)
    statsd = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    target = os.environ.get("ROLLGUARD_STATSD", "127.0.0.1:8125").rsplit(":", 1)
    target = (target[0], int(target[1]))
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
    log("Bot starting (mode=%s, soccer=%s)" % (bot.mode, bot.leagues["SOCCER"]["active"]))
    ops = ["create_channels", "mlb_scores"] + (["soccer_matches"] if bot.leagues["SOCCER"]["active"] else [])
    recent = []
    while running[0]:
        rate = max(fault_error_rate(), bot.deploy_error_rate)
        for op in ops:
            elapsed_ms = random.uniform(80, 300)
            recent = (recent + [elapsed_ms / 1000.0])[-50:]
            lines = ["sportsbot.response_time:%.0f|ms|#op:%s" % (elapsed_ms, op)]
            if random.uniform(0, 100) < rate:
                lines.append("sportsbot.errors:1|c|#op:%s,type:upstream" % op)
                log("ERROR %s failed: upstream error" % op)
            try:
                statsd.sendto("\n".join(lines).encode(), target)
            except OSError:
                pass
        if os.path.exists(os.path.join(HERE, "faults", "critical")):
            log("CRITICAL unhandled exception in command loop")
        write_state(bot, sum(recent) / len(recent))
        time.sleep(0.5)
    log("Bot stopping")


if __name__ == "__main__":
    sys.exit(main())
