"""The members' portal (FastAPI): shared statistics, downloads and reception reports.

Entry points: `create_app(settings)` (pipelines.portal.app), and the click commands
`accounts_group` / `portal_command` (pipelines.portal.cli) registered in the `spro` CLI.
"""
