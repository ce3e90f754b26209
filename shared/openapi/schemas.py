"""JSON Schemas the document shares: request and answer objects built from field tables, and hoisting.

A schema with a `title` is one of `components.schemas`: `hoist` moves it there and leaves a
`$ref` where it was, so each titled schema is written once however many operations use it.
"""

from shared import http


def object_schema(title, fields, *, partial=False):
    """A request object of `fields` (each `Field.schema()`) and nothing else; the required ones unless `partial`."""
    schema = {"title": title, "type": "object", "properties": {name: field.schema() for name, field in fields.items()},
              "additionalProperties": False}
    required = [name for name, field in fields.items() if field.required]
    if required and not partial:
        schema["required"] = required
    return schema


def output(title, properties):
    """An object as the API answers it: exactly these properties (name -> schema), each always present."""
    return {"title": title, "type": "object", "properties": dict(properties), "required": list(properties),
            "additionalProperties": False}


def row_schema(title, fields, *, with_id=True):
    """A row as the API answers it: its `id` (unless `with_id` is False) and every field (`Field.schema()`)."""
    properties = {name: field.schema() for name, field in fields.items()}
    return output(title, {"id": http.ITEM_ID.schema(), **properties} if with_id else properties)


def hoist(node, schemas):
    """`node` with every schema that has a title moved to `components.schemas` and referenced by it."""
    if isinstance(node, list):
        return [hoist(element, schemas) for element in node]
    if not isinstance(node, dict):
        return node
    hoisted = {key: hoist(value, schemas) for key, value in node.items()}
    title = node.get("title")
    if not isinstance(title, str):
        return hoisted
    if schemas.setdefault(title, hoisted) != hoisted:
        raise ValueError(f"two different schemas are both titled {title!r}")
    return {"$ref": f"#/components/schemas/{title}"}
