from newsmon.settings import Settings


def test_settings_have_local_defaults_and_read_newsmon_env(monkeypatch):
    defaults = Settings()
    assert str(defaults.db_path) == "data/newsmon.duckdb" and not defaults.allow_private_hosts
    assert "newsmon" in defaults.fetch_settings().user_agent and "http" in defaults.fetch_settings().user_agent
    monkeypatch.setenv("NEWSMON_ALLOW_PRIVATE_HOSTS", "1")
    monkeypatch.setenv("NEWSMON_PRIVATE_HOST_EXCEPTIONS", '["10.0.0.5:8080"]')
    monkeypatch.setenv("NEWSMON_RECRAWL_OFFSETS_H", "[2, 12]")
    configured = Settings()
    assert configured.fetch_settings().allow_private_hosts
    assert configured.fetch_settings().private_host_exceptions == frozenset({"10.0.0.5:8080"})
    assert configured.recrawl_policy().article_offsets_h == (2.0, 12.0)
    assert not configured.fetch_settings(allow_private_hosts=False).allow_private_hosts  # the flag wins
