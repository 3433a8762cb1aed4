import pytest
from pydantic import ValidationError

from extractors.fetch import FetchSettings
from flows.settings import Settings
from warehouse.frontier import RecrawlPolicy


def test_settings_have_local_defaults_and_read_newsmon_env(monkeypatch):
    defaults = Settings()
    assert defaults.catalog == "data/newsmon.sqlite" and not defaults.allow_private_hosts
    assert "newsmon" in defaults.user_agent and "http" in defaults.user_agent
    monkeypatch.setenv("NEWSMON_ALLOW_PRIVATE_HOSTS", "1")
    monkeypatch.setenv("NEWSMON_PRIVATE_HOST_EXCEPTIONS", '["10.0.0.5:8080"]')
    monkeypatch.setenv("NEWSMON_RECRAWL_OFFSETS_H", "[2, 12]")
    configured = Settings()
    assert configured.allow_private_hosts
    assert configured.private_host_exceptions == frozenset({"10.0.0.5:8080"})
    assert configured.recrawl_offsets_h == (2.0, 12.0)


def test_settings_are_the_fetch_settings_and_recrawl_policy_with_the_same_defaults():
    """One declaration per default: the flows pass Settings itself down, no field-by-field copy."""
    settings = Settings()
    assert isinstance(settings, FetchSettings) and isinstance(settings, RecrawlPolicy)
    for model in (FetchSettings(), RecrawlPolicy()):
        for name in type(model).model_fields:
            assert getattr(settings, name) == getattr(model, name), name


def test_every_fetch_limit_and_recrawl_field_is_settable_from_the_environment(monkeypatch):
    monkeypatch.setenv("NEWSMON_BACKOFF_BASE_S", "0.25")
    monkeypatch.setenv("NEWSMON_BACKOFF_MAX_S", "3")
    monkeypatch.setenv("NEWSMON_RESPECT_ROBOTS", "false")
    monkeypatch.setenv("NEWSMON_MAX_FAILURES", "2")
    monkeypatch.setenv("NEWSMON_FAILURE_BACKOFF_MIN", "5")
    settings = Settings()
    assert (settings.backoff_base_s, settings.backoff_max_s, settings.respect_robots) == (0.25, 3.0, False)
    assert (settings.max_failures, settings.failure_backoff_min) == (2, 5.0)
    names = set(Settings.model_fields)
    assert set(FetchSettings.model_fields) <= names and set(RecrawlPolicy.model_fields) <= names


@pytest.mark.parametrize("address", ["tcp://10.0.0.5:8786", "tls://scheduler.internal:8786", "tcp://[::1]:8786"])
def test_a_dask_scheduler_address_is_a_tcp_or_tls_host_and_port(monkeypatch, address):
    monkeypatch.setenv("NEWSMON_TASK_RUNNER", "dask")
    monkeypatch.setenv("NEWSMON_DASK_ADDRESS", address)
    assert Settings().dask_address == address


@pytest.mark.parametrize(
    "address", ["10.0.0.5:8786", "http://10.0.0.5:8786", "tcp://10.0.0.5", "tcp://:8786", "tcp://h:port", "tcp://h:1/x"]
)
def test_a_malformed_dask_scheduler_address_is_refused_by_name(monkeypatch, address):
    monkeypatch.setenv("NEWSMON_TASK_RUNNER", "dask")
    monkeypatch.setenv("NEWSMON_DASK_ADDRESS", address)
    with pytest.raises(ValidationError, match="tcp://host:port"):
        Settings()


def test_a_dask_address_without_the_dask_runner_is_refused_not_ignored(monkeypatch):
    monkeypatch.setenv("NEWSMON_DASK_ADDRESS", "tcp://10.0.0.5:8786")
    with pytest.raises(ValidationError, match="NEWSMON_TASK_RUNNER is not dask"):
        Settings()


def test_adaptive_polling_bounds_and_factors_are_settings(monkeypatch):
    defaults = Settings()
    assert (defaults.adaptive_min_interval_min, defaults.adaptive_max_interval_min) == (10, 24 * 60)
    assert (defaults.faster_below_seen, defaults.slower_above_seen) == (0.33, 0.67)
    assert (defaults.faster_factor, defaults.slower_factor) == (0.5, 1.5)
    monkeypatch.setenv("NEWSMON_ADAPTIVE_MIN_INTERVAL_MIN", "5")
    monkeypatch.setenv("NEWSMON_SLOWER_FACTOR", "2")
    assert (Settings().adaptive_min_interval_min, Settings().slower_factor) == (5, 2)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("NEWSMON_ADAPTIVE_MIN_INTERVAL_MIN", "2000", "adaptive_min_interval_min is above adaptive_max_interval_min"),
        ("NEWSMON_FASTER_BELOW_SEEN", "0.8", "faster_below_seen must be below slower_above_seen"),
        ("NEWSMON_SLOWER_FACTOR", "0.9", "greater than 1"),
        ("NEWSMON_FASTER_FACTOR", "1.2", "less than 1"),
    ],
)
def test_adaptive_polling_settings_that_contradict_each_other_are_refused(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings()
