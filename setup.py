"""Build hook: the wheel carries the top-level templates/, static/ and content_packs/ as server/_shipped/.

Everything else about the package is in pyproject.toml. `server.shipped(name)` finds these folders in a
wheel install and, in a checkout or an editable install, at the top of the repository."""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("templates", "static", "content_packs")  # keep in step with server.SHIPPED


class BuildPyWithShippedFolders(build_py):
    """Copy the shipped folders into the build tree (not for editable installs, which read them in place)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in SHIPPED:
            for source in sorted(Path(name).rglob("*")):
                if source.is_file() and "__pycache__" not in source.parts:
                    target = Path(self.build_lib, "server", "_shipped", source)
                    self.mkpath(str(target.parent))
                    self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildPyWithShippedFolders})
