"""The emulator's S3-compatible API: path-style, SigV4, on the same store as the native API.

B2 serves two APIs over the same buckets; so does the emulator. This package answers
S3 requests on a port of its own (its URL is the ``s3ApiUrl`` of every
``b2_authorize_account`` answer), so bucket names never clash with ``/file/...`` or
``/b2api/...``. An object put over S3 is a version in the native listing (its
``x-amz-meta-*`` headers are its file info), and the other way round.

Modules: ``errors`` (S3 XML errors), ``xmlout`` (XML bodies), ``sigv4`` (signature
checks with botocore's signer), ``body`` (receiving content), ``meta`` (headers <-> file
info, ETags), ``objects``, ``lists``, ``multipart`` (the operations) and ``app`` (the
ASGI router). Imports nothing from syncd outside the emulator.
"""

from syncd.emulator.s3.app import S3App

__all__ = ["S3App"]
