"""The Backblaze B2 client: other packages import from here (or ``syncd.b2.models``).

Layers, each with one job: ``models`` (typed answers) ← ``raw`` (one method per
endpoint, translates every failure) ← ``session`` (auth refresh, retries, upload
targets, caps) ← ``client`` (the task API: upload, copy, hide, list, download).
httpx stays inside this package and ``syncd.app``.
"""

from syncd.b2.bandwidth import BandwidthLimiter
from syncd.b2.build import build_client, make_http_client
from syncd.b2.client import B2Client
from syncd.b2.lifecycle import LifecycleRule
from syncd.b2.meter import CallMeter
from syncd.b2.models import (
    Allowed,
    AllowedBucket,
    Authorization,
    Bucket,
    FileVersion,
    PartInfo,
    UploadResult,
    UploadTarget,
)
from syncd.remote import DirEntry

__all__ = [
    "Allowed",
    "AllowedBucket",
    "Authorization",
    "B2Client",
    "BandwidthLimiter",
    "Bucket",
    "CallMeter",
    "DirEntry",
    "FileVersion",
    "LifecycleRule",
    "PartInfo",
    "UploadResult",
    "UploadTarget",
    "build_client",
    "make_http_client",
]
