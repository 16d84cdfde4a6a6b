"""Files: the one atomic writer, pickle-free checksummed ``.npz``, model files (``save`` /
``load``) and resumable training checkpoints."""

from .model_file import load, load_with_metadata, save
from .npz import FileFormatError

__all__ = ["save", "load", "load_with_metadata", "FileFormatError"]
