"""Ingestion: inbox files -> contracts -> typed, checked, pseudonymised raw tables in DuckDB.

Public entry points: `ingest_inbox`, `format_ledger_summary` (pipelines.ingestion.service) and
`bench_ingestion` (pipelines.ingestion.bench).
"""
