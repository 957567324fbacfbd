"""Build hook only (all metadata is in pyproject.toml): a wheel carries the default lexicons and
labelled paragraphs inside the package, as ``pipeline/resources/{lexicons,labels}``, so an installed
``dangjian`` runs without the repository (pipeline.config.RESOURCES_DIR). The checkout keeps one
copy of each file, at the top level (lexicons/, data/labels/)."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
RESOURCES = {"lexicons": HERE / "lexicons", "labels": HERE / "data" / "labels"}
SUFFIXES = {".csv", ".txt", ".yaml", ".md"}


class BuildWithResources(build_py):
    def run(self):
        super().run()
        for name, source in RESOURCES.items():
            target = Path(self.build_lib) / "pipeline" / "resources" / name
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            for item in sorted(source.iterdir()):
                if item.is_file() and item.suffix in SUFFIXES and not item.name.startswith("."):
                    shutil.copyfile(item, target / item.name)


setup(cmdclass={"build_py": BuildWithResources})
