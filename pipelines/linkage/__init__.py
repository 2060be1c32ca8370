"""Person linkage: deterministic INE links and probabilistic (Fellegi-Sunter, Splink on DuckDB) links over
keyed comparison tokens, clustered into the warehouse's pseudonymous person key.

Entry points: `link_identities(con, mode='auto') -> LinkSummary` (the warehouse step:
ops.identity_tokens -> ops.person_links, full or incremental), `link_records` (any prepared token
records), `cli.link_command` (`spro link`), `evaluate.evaluate_on_generated` (precision/recall on the
synthetic generator's feeds).
"""

from pipelines.linkage.link_warehouse import LinkSummary, link_identities

__all__ = ["LinkSummary", "link_identities"]
