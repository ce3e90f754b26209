"""The model card: what a served model must be, checked at start-up without NumPy or onnxruntime.

A model is three files side by side: `<name>.onnx` (the classifier), `<name>.card.json` (this
card: training data and their SHA-256, features, classes, cross-validated metrics, the
out-of-distribution threshold, versions) and `<name>.reference.npz` (the standardised features
of the training cases, for the nearest cases and the out-of-distribution flag), both named with
their SHA-256 in the card. `load_checked(path)` reads the card and hashes the two files: a
missing file, a card that is not the format's JSON, a hash that differs from the card's, or
classes or features other than the code's (`MODEL_CLASSES`, `FEATURES`) stop start-up with a
message naming the file and what is wrong. The onnxruntime session is built later, on first
use (`serving`).
"""

import dataclasses
import hashlib
import json
import pathlib

CARD_FORMAT = "seda-dga-type-model/1"
DEFAULT_MODEL_PATH = pathlib.Path(__file__).resolve().parents[2] / "models" / "dga_type.onnx"
# The classes a model names, in the order of its probability outputs: fault types only (no "normal").
MODEL_CLASSES = ("PD", "D1", "D2", "T1", "T2", "T3")
# The five gases the features read (H2 and the hydrocarbons), in Pentagon axis order.
MODEL_GASES = ("h2", "c2h6", "ch4", "c2h4", "c2h2")
# (name, definition) of each feature, in the order of the model's input columns (`features.features`).
FEATURES = (
    ("log_h2", "log10(H2 ppm + 1)"),
    ("log_ch4", "log10(CH4 ppm + 1)"),
    ("log_c2h6", "log10(C2H6 ppm + 1)"),
    ("log_c2h4", "log10(C2H4 ppm + 1)"),
    ("log_c2h2", "log10(C2H2 ppm + 1)"),
    ("log_ratio_c2h2_c2h4", "log10((C2H2 + 1) / (C2H4 + 1)), IEC 60599 ratio, 1 ppm added to each gas"),
    ("log_ratio_ch4_h2", "log10((CH4 + 1) / (H2 + 1)), IEC 60599 ratio, 1 ppm added to each gas"),
    ("log_ratio_c2h4_c2h6", "log10((C2H4 + 1) / (C2H6 + 1)), IEC 60599 ratio, 1 ppm added to each gas"),
    ("triangle1_pct_ch4", "Duval Triangle 1: 100·CH4 / (CH4 + C2H4 + C2H2); 0 when the three are all zero"),
    ("triangle1_pct_c2h4", "Duval Triangle 1: 100·C2H4 / (CH4 + C2H4 + C2H2); 0 when the three are all zero"),
    ("triangle1_pct_c2h2", "Duval Triangle 1: 100·C2H2 / (CH4 + C2H4 + C2H2); 0 when the three are all zero"),
    ("triangle1_x", "Duval Triangle 1 point, x (duval_triangles geometry); 0 when the three are all zero"),
    ("triangle1_y", "Duval Triangle 1 point, y; 0 when the three are all zero"),
    ("pentagon_x", "Duval Pentagon area centroid, x (shared/dga/duval_pentagons.py); 0 when the five are all zero"),
    ("pentagon_y", "Duval Pentagon area centroid, y; 0 when the five are all zero"),
)
FEATURE_NAMES = tuple(name for name, _ in FEATURES)
NEAREST_CASES = 3  # training cases each answer names as its explanation


@dataclasses.dataclass(frozen=True)
class ModelCard:
    """A model whose files matched its card at start-up."""

    path: str  # the .onnx file
    sha256: str  # its SHA-256
    reference_path: str  # the .npz of training features
    reference_sha256: str  # its SHA-256
    ood_threshold: float  # standardised distance above which a sample is out of distribution
    sources: tuple[str, ...]  # training source names, indexed by the reference's source codes
    card: dict = dataclasses.field(repr=False, compare=False, hash=False)

    @property
    def identity(self) -> str:
        """What of the model shapes a verdict, as one hash: the classes and probabilities (the .onnx), the
        nearest cases (the .npz) and the out-of-distribution threshold. A change of any makes stored
        verdicts stale."""
        described = f"{self.sha256}:{self.reference_sha256}:{self.ood_threshold!r}"
        return hashlib.sha256(described.encode()).hexdigest()


def card_path(model_path) -> pathlib.Path:
    """`models/x.onnx` → `models/x.card.json`."""
    model_path = pathlib.Path(model_path)
    return model_path.with_name(model_path.stem + ".card.json")


def sha256_of(path) -> str:
    """The file's SHA-256 in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _refuse(path, problem):
    """The start-up error for a model that cannot be served."""
    return RuntimeError(f"SEDA_MODEL_PATH={path}: {problem}; set SEDA_MODEL_PATH to a model written by "
                        "`python -m tools.train_model`, or to `none` to serve no model")


def _read_card(model_path) -> dict:
    """The card's JSON, refusing a missing, unreadable or foreign card."""
    path = card_path(model_path)
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _refuse(model_path, f"its model card {path.name} is missing") from None
    except (OSError, ValueError) as error:
        raise _refuse(model_path, f"its model card {path.name} is not readable JSON ({error})") from None
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT:
        raise _refuse(model_path, f"{path.name} is not a model card of format {CARD_FORMAT}")
    return card


def _check_matches_code(model_path, card):
    """Refuse a card whose classes or features are not the ones this code computes."""
    classes = card.get("classes")
    if classes != list(MODEL_CLASSES):
        raise _refuse(model_path, f"the card's classes {classes} are not this code's {list(MODEL_CLASSES)}")
    names = [feature.get("name") for feature in card.get("features", []) if isinstance(feature, dict)]
    if names != list(FEATURE_NAMES):
        raise _refuse(model_path, f"the card's features {names} are not this code's {list(FEATURE_NAMES)}")


def _check_hash(model_path, path, expected, what):
    """Refuse a file that is missing or whose SHA-256 is not the card's; return its hash."""
    try:
        actual = sha256_of(path)
    except OSError as error:
        raise _refuse(model_path, f"{what} {path.name} cannot be read ({error.strerror or error})") from None
    if actual != expected:
        raise _refuse(model_path, f"{what} {path.name} has SHA-256 {actual}, but its card says {expected} "
                                  "(the file was changed or corrupted after training)")
    return actual


def load_checked(model_path) -> ModelCard:
    """The ModelCard of the model at `model_path`, or RuntimeError saying why it cannot be served."""
    model_path = pathlib.Path(model_path)
    if not model_path.is_file():
        raise _refuse(model_path, "no such model file")
    card = _read_card(model_path)
    _check_matches_code(model_path, card)
    try:
        reference = model_path.with_name(card["reference_file"])
        ood_threshold = float(card["out_of_distribution"]["threshold"])
        sources = tuple(card["reference_sources"])
        model_hash, reference_hash = card["model_sha256"], card["reference_sha256"]
    except (KeyError, TypeError, ValueError) as error:
        raise _refuse(model_path, f"its card lacks {error}") from None
    sha256 = _check_hash(model_path, model_path, model_hash, "the model file")
    reference_sha256 = _check_hash(model_path, reference, reference_hash, "the reference file")
    return ModelCard(str(model_path), sha256, str(reference), reference_sha256, ood_threshold, sources, card)
