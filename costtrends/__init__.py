"""costtrends: quarterly cost trends of Dutch municipalities' remote-work digitalisation."""

__version__ = "0.1.0"
