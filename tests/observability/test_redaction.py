"""The redaction's quick check never waves through a string that one of its patterns matches."""

from hypothesis import given
from hypothesis import strategies as st

from payments_service.observability.logs import (
    CARD_LIKE,
    CREDENTIALS,
    QUERY_TOKEN,
    TOKEN,
    _suspect,
    redact_text,
)

PATTERNS = (TOKEN, CREDENTIALS, CARD_LIKE, QUERY_TOKEN)
# Pieces of what the patterns look for, with the characters case-insensitive matching folds
# (the long s, the dotless i, the Kelvin sign), so that random strings often come close.
PIECES = st.sampled_from(
    ["ps_", "_", "1", "42", " ", "-", "=", "&", "bearer", "BeArEr", "ba\u017fic", "BASIC",
     "bas\u0131c", "access_token", "ACCESS_TOKEN", "\u212a", "4111 1111 1111 1111", "x", "\t"]
)  # fmt: skip
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=3)), max_size=12).map("".join)


@given(TEXT)
def test_every_string_a_pattern_matches_is_suspect(text: str) -> None:
    if any(pattern.search(text) for pattern in PATTERNS):
        assert _suspect(text)


@given(TEXT)
def test_a_string_no_pattern_matches_is_left_as_it_is(text: str) -> None:
    if not any(pattern.search(text) for pattern in PATTERNS):
        assert redact_text(text) == text


def test_the_usual_secrets_are_redacted() -> None:
    long_s = "ba\u017fic"  # "basic" to a case-insensitive match
    assert (
        redact_text(f"Authorization: {long_s} dXNlcjpwYXNz")
        == f"Authorization: {long_s} [credentials]"
    )
    assert redact_text("card 4111-1111-1111-1111 declined") == "card [card-like number] declined"
    assert redact_text("?ACCESS_TOKEN=abc&x=1") == "?access_token=[redacted]&x=1"
    assert redact_text("ps_1_2_secret-part") == "[token]"
