"""tauro-gen: generate self-contained PySpark jobs from Tauro-style projects."""

__version__ = "0.1.0"
