"""No bind name in any Oracle statement is an Oracle reserved word (ORA-01745 "invalid host/bind variable name").

Two nets: every statement tests/test_oracle_sql.py renders and parses is checked there (its
`oracle_19c_problems`: the statements handlers, tools and migrations really send, dynamic binds
included), and here every SQL text written in the service's code, exercised by a test or not.
"""

import ast

import pytest
from sqlglot.errors import TokenError

from conftest import ROOT
from oracle_binds import ORACLE_RESERVED_WORDS, bind_names, reserved_binds

# The service's code: where its statements are written (tests and benchmarks send none of their own to Oracle).
SOURCES = [*ROOT.glob("shared/**/*.py"), *ROOT.glob("functions/**/*.py"), *ROOT.glob("tools/**/*.py"),
           ROOT / "main.py", ROOT / "lambda_function.py"]


def _docstrings(tree):
    """The docstring nodes of a module, its classes and functions (prose, not SQL)."""
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value) for node in ast.walk(tree)
        if isinstance(node, owners) and node.body and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def _patterns(tree):
    """The string literals given to the `re` module's functions (regular expressions, whose `(?:` is no bind)."""
    return {
        id(argument) for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
        for argument in node.args if isinstance(argument, ast.Constant)
    }


def _texts(path):
    """Every string literal of a source file but its docstrings and regular expressions, an f-string with `?` for
    each interpolation."""
    tree = ast.parse(path.read_text())
    prose = _docstrings(tree) | _patterns(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            yield node.lineno, "".join(part.value if isinstance(part, ast.Constant) else "?" for part in node.values)


def _binds_in_sources():
    """(file:line, bind name) for every named bind in the string literals of the service's code."""
    found = []
    for path in SOURCES:
        for line, text in _texts(path):
            if ":" not in text:
                continue
            try:
                names = bind_names(text)
            except TokenError:  # an unclosed quote: a message, not a statement
                continue
            found += [(f"{path.relative_to(ROOT)}:{line}", name) for name in names]
    return found


def test_the_reserved_words_are_oracles():
    assert 100 <= len(ORACLE_RESERVED_WORDS) <= 120
    assert {"DATE", "LEVEL", "SIZE", "UID", "USER", "MODE", "COMMENT", "NUMBER", "ACCESS", "FILE", "START",
            "ORDER", "DESC"} <= ORACLE_RESERVED_WORDS
    # Keywords Oracle does not reserve, which the service binds: paging, keys, times.
    assert not {"LIMIT", "OFFSET", "ID", "NAME", "VERSION", "TOP", "SINCE", "AFTER", "AT"} & ORACLE_RESERVED_WORDS


def test_bind_names_skip_string_literals_comments_casts_and_positions():
    statement = ("SELECT ':date' AS quoted, a::int FROM t WHERE d = :p_from -- AND x = :level\n"
                 "AND e = :k_0 /* :uid */ AND f = :1 AND g = :\"DATE\" AND h=:size")
    assert bind_names(statement) == ["p_from", "k_0", "size"]
    assert reserved_binds(bind_names(statement)) == ["size"]


@pytest.mark.parametrize("fragment", ["d.sampled_at >= :date", "MOD(id, :parts) = :mode", "VALUES (:id, :level)"])
def test_a_reserved_bind_name_is_found_in_a_fragment(fragment):
    assert reserved_binds(bind_names(fragment)) != []


def test_no_sql_text_in_the_service_binds_a_reserved_word():
    found = _binds_in_sources()
    reserved = [(where, name) for where, name in found if reserved_binds([name])]
    assert reserved == [], "Oracle refuses these bind names (ORA-01745): rename them"
    names = {name for _, name in found}
    assert {"limit", "offset", "p_from", "k_0", "checked", "top", "fingerprint"} <= names, "the sweep sees the SQL"
