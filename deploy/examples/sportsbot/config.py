# The sports bot's configuration (the runbook edits these with sed; rollguard
# edits them with set_flags, which refuses unless a key is found exactly once).
FEATURES = {
    "soccer_integration": True,
    "h2h_analysis": True,
    "betting_recommendations": True,
    "advanced_statistics": True,
    "multi_league_support": True,
}

LEAGUES = {
    "MLB": {"channel_prefix": "mlb"},
    "SOCCER": {"channel_prefix": "soccer", "mcp_url": "https://soccermcp-production.up.railway.app/mcp"},
}

RATE_LIMITS = {
    "requests_per_minute": 60,
    "requests_per_hour": 1000,
    "burst_limit": 10,
    "cooldown_seconds": 1,
}

FALLBACKS = {
    "graceful_degradation": False,
    "fallback_to_cache": False,
    "skip_invalid_data": False,
    "use_minimal_embeds": False,
}
