"""Values from the tenant or the keyboard go into a request quoted: they never add a path or a condition."""

from __future__ import annotations

from warroom.console.graph.odata import string_literal, user_path


def test_a_quote_in_a_value_cannot_end_its_string_literal() -> None:
    assert string_literal("o'brien@contoso.com") == "'o''brien@contoso.com'"
    assert string_literal("x' or 1 eq 1 or 'y") == "'x'' or 1 eq 1 or ''y'"


def test_a_upn_is_one_path_segment() -> None:
    assert user_path(" megan.bowen@contoso.com ") == "users/megan.bowen@contoso.com"
    assert user_path("a/../b c@contoso.com") == "users/a%2F..%2Fb%20c@contoso.com"
