"""syncd's second road to B2: its S3-compatible API (and any S3 store), as a RemoteStore.

Layers, each with one job: ``sign`` (SigV4 by botocore, the only module that imports
it) <- ``wire`` (XML answers as typed values) <- ``raw`` (one method per S3 operation,
every failure translated by ``translate``) <- ``retry`` (backoff, Retry-After, probes)
<- ``listing``/``upload``/``multipart``/``download`` (tasks) <- ``store`` (``S3Store``,
the engine's ``RemoteStore``) <- ``build`` (from ``B2Config``). httpx stays inside
this package, ``syncd.b2`` and ``syncd.app``; nothing here imports ``syncd.b2``.
"""

from syncd.s3.build import build_s3_store
from syncd.s3.store import S3Store

__all__ = ["S3Store", "build_s3_store"]
