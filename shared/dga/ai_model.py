"""`methods.ai_model`: the learned fault-type method's gates, columns, answer and schema.

The model itself (ONNX, served by `shared/model/serving.py`) is not part of this package: the
engine gets it as `diagnose(..., model=...)` / `diagnose_batch(..., model=...)` and, when one is
given, calls its `evaluate(col, ppm, valid)` after the gates of the published methods. That
writes the `ai_model_*` columns below; `as_dict` turns them into the verdict's part, present
only when a model was given.

Gates, the same as the published methods': not applicable when one of the five gases
(`MODEL_GASES`: H2, CH4, C2H6, C2H4, C2H2) is missing or invalid, when all five are zero,
when the unit's liquid is not mineral oil (every training case is mineral oil: `liquids`), and
when none of the five moves the 2019 status (below typical values: `typical`). So the model,
like Duval's methods, never names a fault from traces.

Columns: `ai_model_applicable`, `ai_model_reason`, `ai_model_rule` (index into
`AI_MODEL_RULES` = the class, -1 for none), `ai_model_p_<class>` (probability, NaN when not
applicable), `ai_model_ood` (nearest training case farther than the card's threshold),
`ai_model_nearest_label_<k>` / `_source_<k>` / `_row_<k>` / `_distance_<k>` for the k = 0..2
nearest training cases (class code, file name, CSV line, standardised distance), and
`ai_model_joins` (True where the model takes part in the combined verdict:
SEDA_VERDICT_USES_MODEL, `verdict.py`).
"""

import numpy as np

from shared.dga import liquids, typical
from shared.dga.output import nullable, object_of, one_of, rounded
from shared.dga.rules import ALL_ZERO, RULE_METHOD_SCHEMA, all_of, applicability, fault_rule, rule_method
from shared.model.card import MODEL_CLASSES, MODEL_GASES, NEAREST_CASES

PREFIX = "ai_model"
AI_MODEL_RULES = tuple(fault_rule(name) for name in MODEL_CLASSES)
DESCRIPTION = "learned model's class"


def gate(col, ppm, valid) -> np.ndarray:
    """Store the model's applicability (gases, all zero, liquid, trace levels); return where it applies."""
    total = sum(ppm[gas] for gas in MODEL_GASES)
    applicability(col, PREFIX, all_of(valid[gas] for gas in MODEL_GASES), [(total > 0, ALL_ZERO)])
    col[f"{PREFIX}_rule"] = np.full(len(total), -1, np.int8)
    liquids.gate_method(col, PREFIX)
    typical.gate_method(col, PREFIX, MODEL_GASES)
    return col[f"{PREFIX}_applicable"]


def _nearest_cases(c, i) -> list[dict]:
    """The training cases nearest to sample i, nearest first."""
    return [{"label": MODEL_CLASSES[c[f"{PREFIX}_nearest_label_{k}"][i]],
             "source": c[f"{PREFIX}_nearest_source_{k}"][i],
             "row": c[f"{PREFIX}_nearest_row_{k}"][i],
             "distance": rounded(c[f"{PREFIX}_nearest_distance_{k}"][i], 3)}
            for k in range(NEAREST_CASES)]


def as_dict(c, i) -> dict:
    """The model's answer for sample i."""
    answer = rule_method(c, i, PREFIX, AI_MODEL_RULES, MODEL_GASES)
    applicable = answer["applicable"]
    answer["probabilities"] = ({name: rounded(c[f"{PREFIX}_p_{name}"][i], 4) for name in MODEL_CLASSES}
                               if applicable else None)
    answer["out_of_distribution"] = bool(c[f"{PREFIX}_ood"][i]) if applicable else None
    answer["nearest_cases"] = _nearest_cases(c, i) if applicable else None
    if applicable:
        probability = c[f"{PREFIX}_p_{answer['result']}"][i]
        answer["description"] = (f"{answer['description']} (learned model, p = {probability:.2f}"
                                 f"{'; out of its training distribution' if c[f'{PREFIX}_ood'][i] else ''})")
    return answer


_NEAREST_CASE_SCHEMA = object_of({
    "label": one_of(MODEL_CLASSES),
    "source": {"type": "string", "description": "The training file the case comes from."},
    "row": {"type": "integer", "description": "Its line in that file (the header is line 1)."},
    "distance": {"type": ["number", "null"], "description": "Distance in the standardised feature space."},
})
SCHEMA = {
    **object_of({
        **RULE_METHOD_SCHEMA,
        "fault_type": one_of((*MODEL_CLASSES, None)),
        "probabilities": nullable(object_of({name: {"type": ["number", "null"]} for name in MODEL_CLASSES})),
        "out_of_distribution": {"type": ["boolean", "null"],
                                "description": "The nearest training case is farther than the model card's threshold."},
        "nearest_cases": nullable({"type": "array", "items": _NEAREST_CASE_SCHEMA}),
    }),
    "description": "The learned fault-type model (present only when a model is configured: SEDA_MODEL_PATH).",
}
