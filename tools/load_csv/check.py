"""Reading and checking CSV files whole, before anything is written: each line by the API's field rules, a key
given twice, and each parent in the database or among the parent file's good lines."""

import dataclasses
import hashlib
import os

from shared import bodies, charsets, validation
from shared.errors import SchemaValidationError
from tools.load_csv.kinds import BY_NAME, KINDS, Kind

# Each parent, by natural key, with its id: what rows' names are resolved against.
_SUBSTATION_IDS = "SELECT id, name FROM substation"
_EQUIPMENT_IDS = (
    "SELECT e.id, s.name AS substation_name, e.name FROM equipment e JOIN substation s ON s.id = e.substation_id"
)


class LoadRefused(Exception):
    """The load stopped: `message` says where and why (exit status 1)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclasses.dataclass
class CheckedFile:
    """What the check of one file found."""

    kind: Kind
    path: str
    data: bytes
    digest: str = ""
    good: int = 0  # lines that pass
    bad: dict = dataclasses.field(default_factory=dict)  # line -> its problems' messages
    unreadable: list = dataclasses.field(default_factory=list)  # problems of the file as a whole
    keys: set = dataclasses.field(default_factory=set)  # natural keys of the good lines (for children)

    @property
    def label(self):
        """How messages name the file."""
        return os.path.basename(self.path)

    def problems(self):
        """Every problem, as `FILE[:LINE]: message` lines in file order."""
        lines = [f"{self.label}: {message}" for message in self.unreadable]
        lines += [f"{self.label}:{line}: {message}" for line, messages in sorted(self.bad.items()) for message in messages]
        return lines


def files_in(directory):
    """`{kind name: path}` of the CSV files a --csv directory holds (any subset of the kinds); none is an error."""
    found = {kind.name: os.path.join(directory, kind.file_name) for kind in KINDS
             if os.path.isfile(os.path.join(directory, kind.file_name))}
    if not found:
        raise LoadRefused(f"{directory} holds none of {', '.join(kind.file_name for kind in KINDS)}")
    return found


def text_of(checked, charset):
    """The file's text in `charset` (a UTF-8 byte order mark dropped), or None with the problem recorded."""
    try:
        return charsets.decoded(checked.data, charset, "file", "Name the files' charset with --charset")
    except SchemaValidationError as exc:
        checked.unreadable.append(exc.message)
        return None


def parsed_rows(checked, text):
    """(line, values, problems) of each data line of the file, by the API's field rules; header problems recorded."""
    kind = checked.kind
    try:
        for row in bodies.csv_rows(text, kind.fields):
            values, problems = bodies.row_values(row, kind.fields, kind.name)
            if not problems and kind.row_problems is not None:
                problems = kind.row_problems(values)
            yield row.line, values, [problem["message"] for problem in problems]
    except SchemaValidationError as exc:
        found = exc.details or [{"message": exc.message}]
        checked.unreadable.extend(problem["message"] for problem in found)


def check_file(kind, path, charset, parent_keys):
    """Read and check one file whole: a CheckedFile. `parent_keys`: the natural keys its rows may name."""
    with open(path, "rb") as file:
        checked = CheckedFile(kind, path, file.read())
    text = text_of(checked, charset)
    if text is None:
        return checked
    first_line = {}
    parents_others = any(child.parent == kind.name for child in KINDS)  # its good lines' keys are a child's parents
    for line, values, problems in parsed_rows(checked, text):
        if not problems:
            problems = _key_problems(kind, values, line, first_line, parent_keys)
        if problems:
            checked.bad[line] = problems
            continue
        checked.good += 1
        if parents_others:
            checked.keys.add(tuple(values[column] for column in kind.key))
    checked.digest = _run_digest(checked)
    return checked


def _run_digest(checked):
    """What names the load of this file (`write.actor`): its bytes and the lines the check skips.

    A checkpoint says that every good line up to it is written, which holds only for the same good
    lines: a line skipped in one run (its parent missing) and good in the next (the parent loaded
    since) makes another run, which writes it, the upserts leaving the lines written before as they were.
    """
    skipped = ",".join(str(line) for line in sorted(checked.bad))
    return hashlib.sha256(checked.data + b"\0" + skipped.encode()).hexdigest()


def _key_problems(kind, values, line, first_line, parent_keys):
    """A key given twice in the file, or a parent that neither the database nor the parent file holds."""
    problems = []
    key = tuple(values[column] for column in kind.key)
    earlier = first_line.setdefault(key, line)
    if earlier != line:
        problems.append(f"Line {earlier} already holds {kind.once}; give each once.")
    if kind.parent is not None and tuple(values[column] for column in kind.parent_key) not in parent_keys:
        problems.append(missing_parent(kind, values))
    return problems


def missing_parent(kind, values):
    """The message for a row whose parent does not exist."""
    substation = validation.shown(values["substation_name"])
    parent_file = BY_NAME[kind.parent].file_name
    if kind.parent == "substations":
        return f"No substation is named {substation}; load it first ({parent_file}) or correct 'substation_name'."
    unit = validation.shown(values["equipment_name"])
    return (f"Substation {substation} has no unit named {unit}; load it first ({parent_file}) or correct "
            "'substation_name' and 'equipment_name'.")


async def parent_ids(session):
    """`{kind name: {natural key: id}}` of the parents stored in the database."""
    units = await session.fetch_all(_EQUIPMENT_IDS, large=True)
    return {
        "substations": {(row["name"],): row["id"] for row in await session.fetch_all(_SUBSTATION_IDS, large=True)},
        "equipment": {(row["substation_name"], row["name"]): row["id"] for row in units},
    }


def check_all(paths, charset, stored):
    """Check every file, parents first (`paths`: kind name -> path; `stored`: `parent_ids` of the database)."""
    checked = {}
    for kind in KINDS:
        if kind.name not in paths:
            continue
        known = set(stored.get(kind.parent, {}))
        if kind.parent in checked:
            known |= checked[kind.parent].keys
        checked[kind.name] = check_file(kind, paths[kind.name], charset, known)
    return list(checked.values())
