"""The served model: onnxruntime, imported and its session built on the first diagnosis that needs it.

`current()` is the model the settings name (`SEDA_MODEL_PATH`, checked at start-up by
`card.load_checked`), or None; the engine takes it as `diagnose_batch(..., model=current())`
and calls `evaluate(col, ppm, valid)`, which writes the `ai_model_*` columns
(`shared/dga/ai_model.py`) for n samples at once:

1. the gates (`ai_model.gate`): only samples the model applies to go further;
2. their features (`features.features`, the function training used) through the ONNX session:
   the class and its probabilities;
3. the nearest training cases in the standardised feature space (the reference file's
   features, labels, sources and CSV lines), in blocks of `BLOCK_ROWS` samples (a block's
   distance matrix is BLOCK_ROWS × training cases float32): the three nearest are the answer's
   explanation, and the nearest farther than the card's threshold makes it out of distribution.

The first load also sets the process's BLAS (OpenBLAS, NumPy's) to one thread (`_load`).
Sessions are kept per model file hash, so switching settings (tests) does not rebuild them.
onnxruntime runs are thread-safe; the lock only keeps two first requests from both building one.
"""

import functools
import threading

import numpy as np

from shared import config
from shared.context import logger
from shared.dga import ai_model
from shared.errors import MODEL_UNAVAILABLE, ModelUnavailableError
from shared.model.card import FEATURES, MODEL_CLASSES, MODEL_GASES, NEAREST_CASES, ModelCard
from shared.model.features import features

BLOCK_ROWS = 512
CANDIDATES = 5  # cases the fast search keeps for the exact distances: NEAREST_CASES and a margin for its rounding
_loaded = {}  # model SHA-256 -> (onnxruntime session, reference arrays)
_failed = set()  # model SHA-256s that could not be loaded: refused at once, logged once
_INPUT, _OUTPUT = "features", "probabilities"  # the graph's names, as tools.train_model writes them
_loading = threading.Lock()


def current():
    """The ServedModel the settings configure, or None (SEDA_MODEL_PATH=none)."""
    settings = config.settings()
    if settings.model is None:
        return None
    return _served(settings.model, settings.verdict_uses_model)


@functools.cache
def _served(card: ModelCard, joins_verdict: bool):
    """One ServedModel per checked card and setting."""
    return ServedModel(card, joins_verdict)


def _load(card: ModelCard):
    """(session, reference) of a model, built once per file hash; the first call imports onnxruntime.

    A model that passed its start-up check (card and hashes) can still fail here — a graph
    onnxruntime cannot read, inputs or outputs other than this code's: that is
    ModelUnavailableError (503) for every request that needs it, logged once with the file and
    the cause, never a 500 per request.
    """
    with _loading:
        if card.sha256 in _failed:
            raise ModelUnavailableError(MODEL_UNAVAILABLE)
        if card.sha256 not in _loaded:
            try:
                _loaded[card.sha256] = _built(card)
            except Exception as error:  # noqa: BLE001 - whatever onnxruntime or NumPy raise, the model is unusable
                _failed.add(card.sha256)
                logger.error(f"SEDA_MODEL_PATH={card.path} cannot be served ({type(error).__name__}: {error}); "
                             "every diagnosis answers 503 ModelUnavailable until it is replaced (or set to none)")
                raise ModelUnavailableError(MODEL_UNAVAILABLE) from None
        return _loaded[card.sha256]


def _built(card: ModelCard):
    """(session, reference) of a model: imports onnxruntime, builds the session, checks its graph, reads the cases."""
    import onnxruntime  # here, not at import: only diagnoses with a model pay for it
    import threadpoolctl

    # The nearest-case products are small (a block × 15 features × the training cases):
    # one BLAS thread computes them as fast as two on an idle machine, and OpenBLAS's
    # spinning threads made them 5-10× slower whenever the cores were busy (measured).
    # The service's parallelism is its request threads; nothing else here uses BLAS.
    threadpoolctl.threadpool_limits(limits=1, user_api="blas")

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initializers are not the operator's concern
    # One thread: the forest's sums then run in one order whatever the batch size (with more
    # threads onnxruntime splits them by batch size and the last digits move), so a stored
    # probability equals a fresh one.
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(card.path, options, providers=["CPUExecutionProvider"])
    inputs = [(each.name, each.shape[-1]) for each in session.get_inputs()]
    outputs = {each.name for each in session.get_outputs()}
    if inputs != [(_INPUT, len(FEATURES))] or _OUTPUT not in outputs:
        raise ValueError(f"its graph takes {inputs} and gives {sorted(outputs)}; this code feeds "
                         f"{_INPUT!r} ({len(FEATURES)} features) and reads {_OUTPUT!r}")
    with np.load(card.reference_path, allow_pickle=False) as archive:
        reference = {name: archive[name] for name in archive.files}
    reference["squared"] = (reference["features"] ** 2).sum(axis=1)
    reference["minus_twice_transposed"] = np.ascontiguousarray(-2.0 * reference["features"].T)
    reference["sources"] = np.array(card.sources, dtype=object)
    return session, reference


class ServedModel:
    """A checked model: `evaluate` fills the engine's `ai_model_*` columns."""

    def __init__(self, card: ModelCard, joins_verdict: bool):
        self.card = card
        self.joins_verdict = joins_verdict

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """(m, classes) probabilities of an (m, features) float32 feature matrix."""
        session, _ = _load(self.card)
        return session.run([_OUTPUT], {_INPUT: np.ascontiguousarray(matrix, np.float32)})[0]

    def nearest(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(indices, distances), each (m, NEAREST_CASES), of the nearest training cases, nearest first.

        A block's float32 matrix product finds CANDIDATES near cases fast, but its rounding
        depends on the block's size; their distances are then worked out exactly, row by row
        (differences, not products), and ordered by (distance, case), so a sample gets the same
        answer alone and in any batch: a stored verdict equals a fresh one.
        """
        _, reference = _load(self.card)
        scaled = (matrix - reference["mean"]) / reference["scale"]
        candidates = np.empty((len(matrix), CANDIDATES), np.int64)
        for start in range(0, len(matrix), BLOCK_ROWS):
            block = scaled[start:start + BLOCK_ROWS]
            # |case|² − 2·sample·case: the squared distance less |sample|², which ranks the cases alike.
            squared = block @ reference["minus_twice_transposed"]
            squared += reference["squared"]
            within = np.arange(len(block))
            for rank in range(CANDIDATES):  # argmin passes: far faster than a partition of every row
                nearest = squared.argmin(axis=1)
                candidates[start:start + len(block), rank] = nearest
                squared[within, nearest] = np.inf
        differences = reference["features"][candidates] - scaled[:, None, :]
        exact = np.sqrt((differences ** 2).sum(axis=2))
        order = np.lexsort((candidates, exact), axis=1)[:, :NEAREST_CASES]
        return np.take_along_axis(candidates, order, axis=1), np.take_along_axis(exact, order, axis=1)

    def evaluate(self, col, ppm, valid) -> None:
        """The model's columns for every sample; only applicable ones are run through it."""
        applicable = ai_model.gate(col, ppm, valid)
        n = len(applicable)
        rows = np.flatnonzero(applicable)
        matrix = features({gas: ppm[gas][rows] for gas in MODEL_GASES})
        probabilities = self.predict(matrix) if len(rows) else np.zeros((0, len(MODEL_CLASSES)), np.float32)
        indices, distances = self.nearest(matrix)
        prefix = ai_model.PREFIX
        col[f"{prefix}_rule"][rows] = probabilities.argmax(axis=1)
        for code, name in enumerate(MODEL_CLASSES):
            col[f"{prefix}_p_{name}"] = _spread(n, rows, probabilities[:, code], np.nan)
        col[f"{prefix}_ood"] = _spread(n, rows, distances[:, 0] > self.card.ood_threshold, False)
        _, reference = _load(self.card)
        for k in range(NEAREST_CASES):
            chosen = indices[:, k]
            col[f"{prefix}_nearest_label_{k}"] = _spread(n, rows, reference["label"][chosen], -1)
            sources = reference["sources"][reference["source"][chosen]]
            col[f"{prefix}_nearest_source_{k}"] = _spread(n, rows, sources, None)
            col[f"{prefix}_nearest_row_{k}"] = _spread(n, rows, reference["row"][chosen], -1)
            col[f"{prefix}_nearest_distance_{k}"] = _spread(n, rows, distances[:, k], np.nan)
        col[f"{prefix}_joins"] = np.full(n, self.joins_verdict)


def _spread(n, rows, values, missing) -> np.ndarray:
    """A column of n entries: `values` at `rows`, `missing` elsewhere."""
    values = np.asarray(values)
    column = np.full(n, missing, dtype=object if values.dtype == object else np.result_type(values, type(missing)))
    column[rows] = values
    return column
