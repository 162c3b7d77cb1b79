"""[channels.*] and [audiences.*]: every mistake is refused when the configuration loads, with file and line."""

from __future__ import annotations

import pytest
from warroom.console.channels import Secret
from warroom.console.config import ConfigError, load_config

from .conftest import write_config

RELAY = '[channels.relay]\nkind = "smtp"\nhost = "smtp.example.net"\nfrom = "warroom@example.net"\n'


@pytest.mark.parametrize("text, line, reason", [
    ('[channels.x]\nkind = "pigeon"\n', 2, "channels.x.kind must be one of smtp, webhook, graph, statuspage"),
    (RELAY + '[audiences.stakeholders]\nto = ["a@example.com"]\nchannels = ["relay", "chat"]\n', 7,
     "audiences.stakeholders names channel 'chat', which is not defined"),
    (RELAY + 'username = "w"\npassword_env = "NOT_SET_ANYWHERE"\n', 6,
     "channels.relay.password_env names NOT_SET_ANYWHERE, which is not set in the environment"),
    (RELAY + 'username = "w"\npassword_env = "PW"\nsecurity = "none"\n', 7,
     "would send the password in plain text to smtp.example.net"),
    (RELAY + 'password = "hunter2"\n', 5, "secrets come from the environment, never the file"),
    ('[channels.chat]\nkind = "webhook"\nurl_env = "HOOK_PLAIN"\n', 3, "must be https://"),
    ('[channels.chat]\nkind = "webhook"\nurl_env = "HOOK"\nformat = "discord"\n', 4,
     "channels.chat.format must be one of teams, slack, json"),
    (RELAY + '[audiences.everyone]\nchannels = ["relay"]\n', 5, "unknown audience 'everyone'"),
    (RELAY + '[audiences.users]\nchannels = ["relay"]\n', 6, "sends mail through 'relay' but has no recipients"),
    ('[channels.page]\nkind = "statuspage"\n', 1, "channels.page.folder is required"),
    (RELAY + 'colour = "blue"\n', 5, "unknown key 'colour' for a smtp channel"),
])
def test_mistakes_are_refused_at_load_with_file_and_line(tmp_path, text, line, reason):
    path = write_config(tmp_path, text)
    environ = {"PW": "pw", "HOOK": "https://hooks.example.net/x", "HOOK_PLAIN": "http://hooks.example.net/x"}
    with pytest.raises(ConfigError) as refused:
        load_config(path, environ=environ)
    assert str(refused.value).startswith(f"{path}, line {line}: "), str(refused.value)
    assert reason in str(refused.value)


def test_plain_text_authentication_is_allowed_to_a_loopback_relay_and_secrets_are_masked(tmp_path):
    path = write_config(tmp_path, '[channels.relay]\nkind = "smtp"\nhost = "127.0.0.1"\nport = 2525\n'
                                  'security = "none"\nfrom = "w@example.net"\nusername = "w"\npassword_env = "PW"\n'
                                  '[channels.chat]\nkind = "webhook"\nurl_env = "HOOK"\nformat = "teams"\n'
                                  '[audiences.technical]\nto = ["oncall@example.net"]\nchannels = ["relay", "chat"]\n')
    config = load_config(path, environ={"PW": "pa55word", "HOOK": "https://hooks.example.net/SECRETPATH"})
    routing = config.routing
    relay = routing.channels["relay"]
    assert relay.port == 2525 and relay.password == Secret("pa55word")
    assert "pa55word" not in repr(relay) and "SECRETPATH" not in repr(routing) and "SECRETPATH" not in str(config)
    assert [c.name for c in routing.channels_for("technical")] == ["relay", "chat"]
    assert routing.recipients("technical") == ("oncall@example.net",)
    assert sorted(routing.secrets()) == ["https://hooks.example.net/SECRETPATH", "pa55word"]


def test_no_channels_is_fine(tmp_path):
    config = load_config(write_config(tmp_path, 'responder = "ann"\n'), environ={})
    assert config.routing.channels == {} and config.routing.channels_for("users") == []


def test_the_demo_and_drills_keep_the_channels(tmp_path):
    from warroom.console.startup import with_simulated_tenant

    config = load_config(write_config(tmp_path, '[channels.page]\nkind = "statuspage"\nfolder = "/tmp/x"\n'
                                                '[audiences.users]\nchannels = ["page"]\n'), environ={})
    for changed in (with_simulated_tenant(config, "http://127.0.0.1:1"), config.with_journal(str(tmp_path / "j.db"))):
        assert [c.name for c in changed.routing.channels_for("users")] == ["page"]
