"""Streaming exports: a whole query result as NDJSON or CSV, in chunks, with flat memory.

A collection that offers exports takes `format` (`FORMATS`: json, the default, keeps its paged
JSON; ndjson or csv export the whole filtered result, unpaged) and answers an export with

    exports.check_unpaged(values, paging_spec, chosen)   # 400 for limit/offset/cursor
    return await exports.response(select_sql, binds, exports.ENCODINGS[chosen], columns, "measurements")

The query is read through `db.stream` in batches of `BATCH_ROWS` rows on a connection of its
own; each batch is written (NDJSON: one JSON object per line, as `shared/jsonio.py` writes it;
CSV: `shared/csvout.py`'s conventions, header row first, formula-like text cells neutralised,
numbers never) in a worker thread and sent as one chunk, so neither the rows nor the body ever
sit in memory whole and the event loop is never blocked. `Content-Disposition: attachment`
names the file.

What can fail when:
- before the first byte (bad filter, database unavailable, no session slot): the usual JSON error;
- midway (the database fails, a batch exceeds `SEDA_STATEMENT_TIMEOUT_S`): the status line is
  sent already, so the failure is logged and the connection is closed without the chunked
  body's last chunk: a client sees an incomplete body (curl: "transfer closed with outstanding
  read data remaining"; HTTP libraries raise), never a complete-looking short file;
- the client goes away: the stream is closed at once, its read transaction with it.

At most `SEDA_MAX_EXPORTS` downloads run at once in a process (more is 429 TooManyRequestsTypeB
before the query starts): each holds a database session for its whole length, and slow
downloads must not take every session the pages need.

A download counts as a request in flight (`shared/lifecycle.py`) until its body has ended, not
only until its handler returned: a SIGTERM during a download lets it finish before the database
(and on Oracle the pool the stream reads from) is closed.
"""

import asyncio

import anyio
from starlette.requests import ClientDisconnect
from starlette.responses import StreamingResponse

from shared import config, context, csvout, db, lifecycle, ratelimit
from shared.errors import InvalidParametersError
from shared.jsonio import NDJSON_MEDIA_TYPE, dumps

FORMATS = ("json", "ndjson", "csv")
BATCH_ROWS = 1000  # rows per fetch and per chunk: ~150 kB of NDJSON, a few ms of work in the thread


class Encoding:
    """How an export writes rows: its media type, file extension, optional head, and a batch of rows."""

    def __init__(self, media_type, extension, write_rows, write_head=None):
        self.media_type = media_type
        self.extension = extension
        self._write_rows = write_rows
        self._write_head = write_head

    def head(self, columns):
        """What comes before the first row (CSV's header row), or empty bytes."""
        return self._write_head(columns) if self._write_head else b""

    def rows(self, rows, columns):
        """A batch of rows as bytes."""
        return self._write_rows(rows, columns)


def _ndjson_rows(rows, columns):
    """One JSON object per line, keys in `columns` order."""
    return b"".join(dumps({column: row[column] for column in columns}) + b"\n" for row in rows)


NDJSON = Encoding(NDJSON_MEDIA_TYPE, "ndjson", _ndjson_rows)
CSV = Encoding(csvout.CONTENT_TYPE, "csv", lambda rows, columns: csvout.dumps_csv(rows, columns, header=False),
               lambda columns: csvout.dumps_csv([], columns))
ENCODINGS = {"ndjson": NDJSON, "csv": CSV}


def check_unpaged(values, paging, chosen):
    """400 when validated query `values` hold any of the `paging` parameters: an export is the whole result."""
    given = [name for name in paging if name in values]
    if given:
        raise InvalidParametersError(
            f"An export (format={chosen}) is the whole filtered result, unpaged; drop {', '.join(given)}, or use "
            "format=json to read it page by page."
        )


_downloads = 0  # downloads of this process admitted and not ended yet


async def response(sql, binds, encoding, columns, name):
    """Open the query's stream (errors here are ordinary error responses) and answer it as a download."""
    global _downloads
    limit = config.settings().limits.max_exports
    if _downloads >= limit:
        raise ratelimit.instance_busy(
            f"This instance is serving {limit} downloads already (SEDA_MAX_EXPORTS); retry in a moment, or read "
            "the JSON pages meanwhile.",
            "exports",
        )
    _downloads += 1  # counted before the first await, so requests arriving together cannot all pass
    try:
        stream = await db.stream(sql, binds, BATCH_ROWS).open()
    except BaseException:
        _downloads -= 1
        raise
    return ExportResponse(stream, encoding, columns, f"{name}.{encoding.extension}")


def _download_ended():
    """One admitted download fewer."""
    global _downloads
    _downloads -= 1


class ExportResponse(StreamingResponse):
    """A download of an open stream, which it closes however the response ends (see the module docstring)."""

    def __init__(self, stream, encoding, columns, filename):
        super().__init__(
            self._chunks(stream, encoding, columns),
            media_type=encoding.media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
        self._stream = stream
        self.when_done = []  # called once the body has ended, however: the request's metrics and access line
        lifecycle.request_started()  # ended in __call__, once the body has

    @staticmethod
    async def _chunks(stream, encoding, columns):
        """The head, then each batch written in a worker thread; the stream is closed once exhausted, so what follows
        the chunks (the fleet export's tail) reads on a session slot of its own without holding two."""
        head = encoding.head(columns)
        if head:
            yield head
        async for rows in stream:
            yield await asyncio.to_thread(encoding.rows, rows, columns)
        await stream.aclose()

    async def __call__(self, scope, receive, send):
        try:
            if scope.get("method") == "HEAD":
                await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
                await send({"type": "http.response.body", "body": b""})
                return
            await super().__call__(scope, receive, send)
        except ClientDisconnect:
            raise
        except Exception as exc:
            context.logger.error(f"export stopped midway; the body ends without its last chunk: {type(exc).__name__}",
                                 exc_info=exc)
            raise
        finally:
            with anyio.CancelScope(shield=True):
                await self._stream.aclose()
            _download_ended()
            for done in self.when_done:
                done()
            lifecycle.request_finished()
