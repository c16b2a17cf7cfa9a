"""Language models behind one protocol (``base.Model``), found by name in ``registry``.

    resolve_model(settings, root, on_call=...) -> Model  # registry.py (settings: core.settings.RunSettings)
    model.complete(messages) -> Completion                # free text
    model.structured(messages, PydanticModel) -> (obj, Usage)
    CallRecord / on_call                                  # trace.py: one record per call

Providers: ``openai`` (openai_model.py), ``hf`` (hf.py), ``scripted`` (scripted.py).
"""
