"""The files a page of the service loads (scripts, stylesheets, data), each served from memory with its ETag.

Used by the pages `docs` and `dashboard`: a file is a part of its resource
(`/api/v1/<resource>/<name>`), public, declared in the OpenAPI document, read once per process
and answered 304 when the browser already holds it. They hold no secret and change only with
a deployment, so any cache may keep them if it revalidates (`Cache-Control: no-cache`), even
where every read of data needs a key. They cost no rate-limit units: served from memory, they
cost less than counting them would, and counting them would spend ~15 units of a client's
budget on every load of the dashboard before it reads any data.
"""

import functools

from shared import auth, http, openapi, ratelimit, validation

CACHE_CONTROL = "no-cache"


@functools.cache
def read(path):
    """A file's bytes, read once per process."""
    return path.read_bytes()


def methods(name, media_type, content, summary, schema=openapi.TEXT):
    """The method table of one file: GET (and HEAD) answer `content()`, the file's bytes (of `schema`)."""

    @functools.cache
    def tagged_content():
        """The file's bytes and their ETag, hashed once per process (the reference page's bundle is 1.7 MB)."""
        body = content()
        return body, http.strong_etag(body)

    @auth.public
    @ratelimit.costs(ratelimit.EXEMPT)
    @openapi.operation(openapi.answer(schema, f"{name}.", media_type=media_type, headers={"ETag": True},
                                      not_modified=True),
                       database=False, summary=summary)
    async def _file(request):
        """One file a page loads."""
        validation.parse_query(request.query_params, {})
        body, tag = tagged_content()
        return http.tagged_bytes(request, body, media_type, {"Cache-Control": CACHE_CONTROL}, tag)

    return {"GET": _file}
