"""Where asset outputs live between runs: pickles in the restricted folder, written atomically.

Kept across runs, so a build whose inputs changed only in part can reuse the outputs of the
assets it does not recompute; a build killed half-way never leaves a half-written one.

Some outputs hold the municipality's person-level rows (the delivery and placement assets),
like the landing folder does: they live in the restricted store's folder, readable by its
owner only (folders 0700, files 0600), whatever the umask."""

import os
import pickle
from pathlib import Path

from dagster import ConfigurableIOManager, InputContext, OutputContext

from pipelines.resources import DEFAULT_CONFIG
from pipelines.versions import cache_dir
from sources.config import load_config
from sources.errors import BuildFault
from warehouse.stores import private_dir


class CacheMiss(LookupError):
    pass


class AtomicPickleIOManager(ConfigurableIOManager):
    """Pickles under `<restricted folder>/cache/`, one file per asset."""

    config_path: str = DEFAULT_CONFIG  # the same config as the `settings` resource

    def _path(self, key_parts: list[str]) -> Path:
        base = cache_dir(load_config(self.config_path).paths)
        return base.joinpath(*key_parts).with_suffix(".pickle")

    def handle_output(self, context: OutputContext, obj: object) -> None:
        path = self._path(context.asset_key.path)
        private_dir(path.parent, root=load_config(self.config_path).paths.restricted)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException as exc:
            # A half-written output must not keep a full disk full.
            tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                named = exc if exc.filename else OSError(exc.errno, exc.strerror, str(path))
                raise BuildFault.of(named) from exc
            raise

    def load_input(self, context: InputContext) -> object:
        path = self._path(context.asset_key.path)
        if not path.exists():
            raise CacheMiss(f"{path}: no stored output of {context.asset_key.to_user_string()}")
        with open(path, "rb") as f:
            return pickle.load(f)
