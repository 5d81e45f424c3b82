"""Sources: every kind of input, one protocol (`sources.base.Source`), one batch type.

`sources.registry.SOURCES` names them; `sources.survey` and `sources.budget` implement them.
"""
