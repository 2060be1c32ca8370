"""`make docs`: regenerate the catalogue's docs blocks, then build the dbt docs site (lineage,
column docs, and each indicator's definition from the catalogue)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipelines.config import load_settings
from pipelines.dbt.project import write_profile
from pipelines.indicators.render import write_generated


def generate_docs(serve: bool = False, port: int = 8080) -> Path:
    settings = load_settings()
    settings.ensure_dirs()
    write_generated()
    write_profile(settings)
    dbt = str(Path(sys.executable).with_name("dbt"))
    common = ["--project-dir", str(settings.dbt_project_dir), "--profiles-dir", str(settings.dbt_profiles_dir)]
    subprocess.run([dbt, "docs", "generate", *common], check=True)
    target = settings.dbt_project_dir / "target"
    if serve:
        subprocess.run([dbt, "docs", "serve", "--port", str(port), *common], check=False)
    return target / "index.html"


if __name__ == "__main__":
    print(generate_docs(serve="--serve" in sys.argv))
