"""Prefect flows: thin wiring over `costtrends.pipeline`.

Importing this package changes nothing; entry points apply Prefect's environment
defaults themselves (`flows.environment.offline_defaults`).
"""
