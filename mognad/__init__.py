"""mognad — regional platform for digital maturity and digital competence."""

__version__ = "0.1.0"
