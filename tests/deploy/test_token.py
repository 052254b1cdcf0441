"""`ham10k token`: the JWT Chainlit's /auth/jwt accepts; forged and expired ones are refused."""

import jwt
import pytest

from assistant.edges.cli import main, mint_token


def test_minted_token_decodes_and_bad_ones_do_not(monkeypatch, capsys):
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "s" * 40)
    from chainlit.auth.jwt import decode_jwt

    assert main(["token", "--user", "visitor-1", "--minutes", "5"]) == 0
    good = capsys.readouterr().out.strip()
    assert decode_jwt(good).identifier == "visitor-1"
    with pytest.raises(jwt.InvalidSignatureError):
        decode_jwt(mint_token("f" * 40))
    with pytest.raises(jwt.ExpiredSignatureError):
        decode_jwt(mint_token("s" * 40, minutes=-1))


def test_token_without_secret_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.delenv("CHAINLIT_AUTH_SECRET", raising=False)
    assert main(["token"]) == 2
    assert "CHAINLIT_AUTH_SECRET" in capsys.readouterr().err
