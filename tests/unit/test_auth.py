"""Tests for realtime_actors.transport.auth: key precedence, masking, headers and redaction."""

from __future__ import annotations

import json
import logging
import platform
import traceback
from pathlib import Path

import pytest

import realtime_actors
from realtime_actors.errors import AuthError, ConfigError, RealtimeError
from realtime_actors.transport.auth import (
    ApiKey,
    RedactingFilter,
    auth_headers,
    codex_home,
    default_user_agent,
    mask_secret,
    redact,
    resolve_api_key,
)

SECRET = "sk-proj-THISisAverySECRETkey0123456789zz"
CODEX_SECRET = "sk-codex-envSECRET-abcdefghijklmnop99"
FILE_SECRET = "sk-file-SECRETfromAuthJsonabcdefghij42"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty CODEX_HOME, so the developer's real ~/.codex is never read."""
    path = tmp_path / "codex-home"
    path.mkdir()
    return path


def write_auth(home: Path, content: object) -> None:
    text = content if isinstance(content, str) else json.dumps(content)
    (home / "auth.json").write_text(text, encoding="utf-8")


# --- precedence -------------------------------------------------------------------------------


def test_explicit_string_wins_over_everything(home: Path) -> None:
    write_auth(home, {"OPENAI_API_KEY": FILE_SECRET})
    env = {"CODEX_HOME": str(home), "CODEX_API_KEY": CODEX_SECRET, "OPENAI_API_KEY": "sk-x" * 6}
    key = resolve_api_key(SECRET, env=env)
    assert key.reveal() == SECRET
    assert key.source == "explicit"


def test_explicit_callable_is_called_exactly_once(home: Path) -> None:
    calls: list[int] = []

    def provider() -> str:
        calls.append(1)
        return SECRET

    key = resolve_api_key(provider, env={"CODEX_HOME": str(home), "CODEX_API_KEY": CODEX_SECRET})
    assert key.reveal() == SECRET
    assert key.source == "explicit"
    assert calls == [1]


def test_explicit_apikey_is_returned_as_is(home: Path) -> None:
    given = ApiKey(SECRET, source="OPENAI_API_KEY")
    assert resolve_api_key(given, env={"CODEX_HOME": str(home)}) is given


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_explicit_blank_is_an_error_not_a_fallback(home: Path, blank: str) -> None:
    env = {"CODEX_HOME": str(home), "CODEX_API_KEY": CODEX_SECRET}
    with pytest.raises(AuthError, match="explicit API key is blank"):
        resolve_api_key(blank, env=env)
    with pytest.raises(AuthError, match="explicit API key is blank"):
        resolve_api_key(lambda: blank, env=env)


def test_explicit_provider_that_raises_gives_auth_error(home: Path) -> None:
    def provider() -> str:
        raise RuntimeError("vault unavailable")

    with pytest.raises(AuthError, match="RuntimeError") as info:
        resolve_api_key(provider, env={"CODEX_HOME": str(home)})
    assert isinstance(info.value.__cause__, RuntimeError)


def test_explicit_of_wrong_type_is_config_error(home: Path) -> None:
    with pytest.raises(ConfigError, match="int"):
        resolve_api_key(12345, env={"CODEX_HOME": str(home)})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="bytes"):
        resolve_api_key(lambda: b"sk-bytes", env={"CODEX_HOME": str(home)})  # type: ignore[arg-type, return-value]


def test_codex_api_key_env_beats_auth_json_and_openai_env(home: Path) -> None:
    write_auth(home, {"OPENAI_API_KEY": FILE_SECRET})
    env = {"CODEX_HOME": str(home), "CODEX_API_KEY": CODEX_SECRET, "OPENAI_API_KEY": SECRET}
    key = resolve_api_key(env=env)
    assert key.reveal() == CODEX_SECRET
    assert key.source == "CODEX_API_KEY"


def test_auth_json_beats_openai_env(home: Path) -> None:
    write_auth(home, {"OPENAI_API_KEY": FILE_SECRET, "tokens": None})
    key = resolve_api_key(env={"CODEX_HOME": str(home), "OPENAI_API_KEY": SECRET})
    assert key.reveal() == FILE_SECRET
    assert key.source == "auth.json"


def test_openai_env_is_last(home: Path) -> None:
    key = resolve_api_key(env={"CODEX_HOME": str(home), "OPENAI_API_KEY": SECRET})
    assert key.reveal() == SECRET
    assert key.source == "OPENAI_API_KEY"


def test_blank_values_are_ignored_at_every_step(home: Path) -> None:
    write_auth(home, {"OPENAI_API_KEY": "   "})
    env = {"CODEX_HOME": str(home), "CODEX_API_KEY": " \t ", "OPENAI_API_KEY": f"  {SECRET}\n"}
    key = resolve_api_key(env=env)
    assert key.source == "OPENAI_API_KEY"
    assert key.reveal() == SECRET  # surrounding whitespace stripped


def test_codex_home_defaults_to_dot_codex_under_home(tmp_path: Path) -> None:
    (tmp_path / ".codex").mkdir()
    write_auth(tmp_path / ".codex", {"OPENAI_API_KEY": FILE_SECRET})
    env = {"HOME": str(tmp_path), "CODEX_HOME": "  "}
    assert codex_home(env) == tmp_path / ".codex"
    assert resolve_api_key(env=env).source == "auth.json"


def test_chatgpt_mode_auth_json_key_is_not_used(home: Path) -> None:
    write_auth(home, {"auth_mode": "chatgpt", "OPENAI_API_KEY": FILE_SECRET})
    key = resolve_api_key(env={"CODEX_HOME": str(home), "OPENAI_API_KEY": SECRET})
    assert key.source == "OPENAI_API_KEY"


@pytest.mark.parametrize(
    "content",
    [
        '{"OPENAI_API_KEY": "' + FILE_SECRET + '",',  # truncated JSON holding a key
        "[1, 2, 3]",
        json.dumps({"OPENAI_API_KEY": 42}),
    ],
    ids=["malformed", "not-an-object", "key-not-a-string"],
)
def test_bad_auth_json_is_skipped_with_a_warning_without_contents(
    home: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    write_auth(home, content)
    with caplog.at_level(logging.WARNING, logger="realtime_actors.transport.auth"):
        key = resolve_api_key(env={"CODEX_HOME": str(home), "OPENAI_API_KEY": SECRET})
    assert key.source == "OPENAI_API_KEY"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(home / "auth.json") in warnings[0].getMessage()
    assert FILE_SECRET not in caplog.text
    assert content not in caplog.text


def test_malformed_key_names_its_source_without_the_value(home: Path) -> None:
    bad = "sk-has a-space-inside-0123456789"
    with pytest.raises(AuthError, match=r"\$OPENAI_API_KEY.*whitespace") as info:
        resolve_api_key(env={"CODEX_HOME": str(home), "OPENAI_API_KEY": bad})
    assert "a-space" not in str(info.value)
    write_auth(home, {"OPENAI_API_KEY": bad})
    with pytest.raises(AuthError, match=r"auth\.json"):
        resolve_api_key(env={"CODEX_HOME": str(home)})


def test_nothing_found_lists_places_without_values(home: Path) -> None:
    write_auth(home, {"OPENAI_API_KEY": None})
    with pytest.raises(AuthError) as info:
        resolve_api_key(env={"CODEX_HOME": str(home), "CODEX_API_KEY": "", "OPENAI_API_KEY": " "})
    message = str(info.value)
    for place in ("explicit", "CODEX_API_KEY", "auth.json", "OPENAI_API_KEY", str(home)):
        assert place in message
    assert isinstance(info.value, RealtimeError)


def test_environment_is_read_at_call_time(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CODEX_HOME", str(home))
    monkeypatch.delenv("CODEX_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(AuthError):
        resolve_api_key()
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    assert resolve_api_key().reveal() == SECRET
    monkeypatch.setenv("CODEX_API_KEY", CODEX_SECRET)
    assert resolve_api_key().source == "CODEX_API_KEY"


# --- masking ----------------------------------------------------------------------------------


def test_repr_str_and_format_are_masked() -> None:
    key = ApiKey(SECRET)
    texts = [repr(key), str(key), f"{key}", f"{key!r}", f"{key:>60}"]
    texts += ["%s" % key, "%r" % (key,)]  # noqa: UP031 (printf-style, as logging uses)
    texts.append(format(key))
    texts.append(repr([key, {"k": key}]))
    for text in texts:
        assert SECRET not in text
        assert "sk-***zz" in text
    assert repr(key) == "ApiKey('sk-***zz', source='explicit')"


def test_mask_shows_at_most_three_leading_and_two_trailing_chars() -> None:
    assert mask_secret(SECRET) == "sk-***zz"
    assert mask_secret("sk-short-key") == "***"
    assert str(ApiKey("sk-short-key")) == "ApiKey('***')"


def test_apikey_rejects_blank_and_bad_values_without_echoing_them() -> None:
    with pytest.raises(AuthError, match="blank"):
        ApiKey("   ")
    with pytest.raises(AuthError, match="whitespace") as info:
        ApiKey("sk-abc\r\nX-Injected: 1")
    assert "Injected" not in str(info.value)
    with pytest.raises(ConfigError):
        ApiKey(12345)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="source"):
        ApiKey(SECRET, source="somewhere")  # type: ignore[arg-type]


def test_exception_text_with_key_object_never_contains_key() -> None:
    key = ApiKey(SECRET)
    try:
        raise AuthError(f"server rejected {key}")
    except AuthError as exc:
        rendered = "".join(traceback.format_exception(exc))
    assert SECRET not in rendered
    assert "sk-***zz" in rendered


def test_logging_a_record_with_the_key_object_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    key = ApiKey(SECRET)
    log = logging.getLogger("tests.unit.auth")
    with caplog.at_level(logging.INFO, logger="tests.unit.auth"):
        log.info("using key %s", key)
        log.info("using key %r", key)
        log.info("config %s", {"api_key": key})
    assert len(caplog.records) == 3
    assert SECRET not in caplog.text
    assert caplog.text.count("sk-***zz") == 3


def test_equal_keys_compare_equal_and_hash() -> None:
    assert ApiKey(SECRET) == ApiKey(f" {SECRET} ")
    assert len({ApiKey(SECRET), ApiKey(SECRET)}) == 1


# --- headers ----------------------------------------------------------------------------------


def test_auth_headers_has_bearer_and_user_agent_and_no_beta() -> None:
    headers = auth_headers(ApiKey(SECRET))
    assert headers["Authorization"] == f"Bearer {SECRET}"
    assert headers["User-Agent"] == (
        f"realtime-actors/{realtime_actors.__version__} python/{platform.python_version()}"
    )
    assert headers["User-Agent"] == default_user_agent()
    assert not any(name.lower() == "openai-beta" for name in headers)


def test_auth_headers_custom_user_agent_and_extra() -> None:
    headers = auth_headers(
        ApiKey(SECRET), user_agent="my-app/2", extra={"OpenAI-Project": "proj_1"}
    )
    assert headers == {
        "Authorization": f"Bearer {SECRET}",
        "User-Agent": "my-app/2",
        "OpenAI-Project": "proj_1",
    }


@pytest.mark.parametrize("name", ["OpenAI-Beta", "openai-beta", "AUTHORIZATION", "user-agent"])
def test_auth_headers_rejects_reserved_extra_headers(name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        auth_headers(ApiKey(SECRET), extra={name: "realtime=v1"})


def test_auth_headers_rejects_injection_and_bad_types_without_echoing_value() -> None:
    with pytest.raises(ConfigError, match="X-Custom") as info:
        auth_headers(ApiKey(SECRET), extra={"X-Custom": "ok\r\nX-Evil: hidden-value"})
    assert "hidden-value" not in str(info.value)
    with pytest.raises(ConfigError, match="header name"):
        auth_headers(ApiKey(SECRET), extra={"Bad Name": "x"})
    with pytest.raises(ConfigError):
        auth_headers(ApiKey(SECRET), extra={"X-Num": 5})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="ApiKey"):
        auth_headers(SECRET)  # type: ignore[arg-type]


def test_auth_headers_rejects_duplicate_names_case_insensitively() -> None:
    with pytest.raises(ConfigError, match="twice"):
        auth_headers(ApiKey(SECRET), extra={"X-Trace": "1", "x-trace": "2"})


# --- redaction --------------------------------------------------------------------------------


def test_redact_masks_every_occurrence() -> None:
    key = ApiKey(SECRET)
    text = f"401 for Bearer {SECRET}; retry with {SECRET}."
    assert redact(text, key) == "401 for Bearer sk-***zz; retry with sk-***zz."
    assert redact("nothing here", key) == "nothing here"
    other = ApiKey(CODEX_SECRET)
    both = redact(f"{SECRET} {CODEX_SECRET}", [key, other])
    assert SECRET not in both
    assert CODEX_SECRET not in both


def test_redacting_filter_masks_raw_secret_in_messages_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = ApiKey(SECRET)
    log = logging.getLogger("tests.unit.auth.filter")
    log.addFilter(RedactingFilter([key]))
    try:
        with caplog.at_level(logging.DEBUG, logger="tests.unit.auth.filter"):
            log.debug("handshake header Authorization: Bearer %s", SECRET)
            try:
                raise ValueError(f"bad key {SECRET}")
            except ValueError:
                log.exception("connect failed")
    finally:
        log.filters.clear()
    assert len(caplog.records) == 2
    assert "Bearer sk-***zz" in caplog.records[0].getMessage()
    assert caplog.records[1].exc_text is not None
    assert "bad key sk-***zz" in caplog.records[1].exc_text
    assert SECRET not in caplog.text
