"""The documented error body, checked the same way by every input test."""

ERROR_KEYS = {"status", "error", "message", "request_id"}


def error_body(response, status=None, error=None):
    """The JSON error body of `response` once it has exactly the documented shape; also checks status and name."""
    assert response.headers["content-type"] == "application/json", response.text
    body = response.json()
    assert set(body) in (ERROR_KEYS, ERROR_KEYS | {"details"}), body
    assert body["status"] == response.status_code, body
    assert body["request_id"] == response.headers["x-request-id"], body
    assert isinstance(body["message"], str) and body["message"], body
    assert isinstance(body["error"], str) and body["error"], body
    if status is not None:
        assert response.status_code == status, body
    if error is not None:
        assert body["error"] == error, body
    return body
