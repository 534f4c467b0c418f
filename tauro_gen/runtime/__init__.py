"""Code that ships inside generated jobs.

Every module here except `job` holds top-level functions, classes and constants that
tauro-gen copies verbatim into the jobs that need them (`tauro_gen.jobcode` collects
them with the collector that copies node code, so a job imports exactly what the copied
code uses). Hence the rules for these modules, checked by tests/test_runtime_modules.py and tests/test_format.py:

- formatted as black's default Mode() prints them (88 columns), like the jobs;
- only the standard library and pyspark are imported;
- from the job itself, only the names `job` stands in for (the template defines them).

They are real modules so that they are linted and unit-tested as they are shipped.
"""
