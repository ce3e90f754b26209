"""The learned fault-type method (`methods.ai_model`): a classifier trained offline, served with onnxruntime.

- `card`: the model card and its start-up check (NumPy-free, so `shared.config` can run it for
  every target): the classes and features the code computes, and the refusal of a model file
  whose SHA-256, classes or features do not match its card.
- `features`: the one feature function that training (`tools/train_model.py`) and serving share,
  so the two cannot drift.
- `serving`: the onnxruntime session (built, and onnxruntime imported, on the first diagnosis
  that needs it), the nearest training cases and the out-of-distribution flag, written as the
  engine's `ai_model_*` columns (`shared/dga/ai_model.py` turns them into the verdict's part).

The model names *which* fault a sample's gases look like, never *whether* there is one:
presence stays the IEEE C57.104-2019 status (issue 12). It joins the combined verdict only when
`SEDA_VERDICT_USES_MODEL=true` (`shared/dga/verdict.py`).
"""
