"""Personal data building blocks: identity normalisation, keyed pseudonyms, comparison tokens for
linkage, generalisation (age bands, bassins, qualification levels) and the direct-identifier scan.

Modules: keys (the HMAC key), normalize, pseudonymize, generalize, identifier_scan. Each is pure
Python over the standard library, pandas and duckdb, so ingestion, linkage and publication can call
them without Dagster.
"""
