"""Oracle's reserved words, and the bind names of a statement, for the checks that no bind is one of them.

A bind named after a reserved word (`:date`, `:level`, `:size`, `:uid`, `:mode`…) is refused only when
Oracle parses the statement: ORA-01745 "invalid host/bind variable name". SQLite accepts it, so
nothing else in the suite would notice.
"""

import re

import sqlglot
from sqlglot.tokens import TokenType

# Oracle Database SQL Language Reference (11g Release 2, 12c Release 2 and 19c), appendix "Oracle SQL
# Reserved Words and Keywords", section "Oracle SQL Reserved Words": the words that cannot be nonquoted
# identifiers, bind names included. The editions differ by a word or two (19c drops PRIVILEGES); this is
# their union, as a larger set only errs on the safe side. On a server, V$RESERVED_WORDS with
# RESERVED = 'Y' lists them. COLUMN_VALUE and NESTED_TABLE_ID are reserved as attribute names only.
ORACLE_RESERVED_WORDS = frozenset("""
    ACCESS ADD ALL ALTER AND ANY AS ASC AUDIT BETWEEN BY CHAR CHECK CLUSTER COLUMN COLUMN_VALUE COMMENT
    COMPRESS CONNECT CREATE CURRENT DATE DECIMAL DEFAULT DELETE DESC DISTINCT DROP ELSE EXCLUSIVE EXISTS
    FILE FLOAT FOR FROM GRANT GROUP HAVING IDENTIFIED IMMEDIATE IN INCREMENT INDEX INITIAL INSERT INTEGER
    INTERSECT INTO IS LEVEL LIKE LOCK LONG MAXEXTENTS MINUS MLSLABEL MODE MODIFY NESTED_TABLE_ID NOAUDIT
    NOCOMPRESS NOT NOWAIT NULL NUMBER OF OFFLINE ON ONLINE OPTION OR ORDER PCTFREE PRIOR PRIVILEGES PUBLIC
    RAW RENAME RESOURCE REVOKE ROW ROWID ROWNUM ROWS SELECT SESSION SET SHARE SIZE SMALLINT START
    SUCCESSFUL SYNONYM SYSDATE TABLE THEN TO TRIGGER UID UNION UNIQUE UPDATE USER VALIDATE VALUES VARCHAR
    VARCHAR2 VIEW WHENEVER WHERE WITH
""".split())

# A nonquoted bind name: a letter, then letters, digits, _, $ or # (a `:1` is positional, a `:"x"` quoted).
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_$#]*")


def bind_names(sql):
    """The names of the named binds in `sql`, in order, as Oracle's tokenizer sees them.

    Tokenizing (sqlglot's Oracle tokenizer) rather than searching the text skips string literals,
    comments and `::`; a bind is a `:` followed at once by a name. Works on fragments too.
    """
    tokens = sqlglot.tokenize(sql, read="oracle")
    return [
        name.text for colon, name in zip(tokens, tokens[1:])
        if colon.token_type == TokenType.COLON and name.start == colon.end + 1
        and name.token_type != TokenType.IDENTIFIER and _NAME.fullmatch(name.text)
    ]


def reserved_binds(names):
    """Those of the bind `names` that Oracle reserves (ORA-01745 at run time)."""
    return sorted({name for name in names if name.upper() in ORACLE_RESERVED_WORDS})
