"""Prefect flows: thin wiring over the layers below (`flows.steps` names one quarter's steps).

Importing this package changes nothing; entry points apply Prefect's environment
defaults themselves (`flows.environment.offline_defaults`).
"""
