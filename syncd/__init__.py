"""syncd: keeps local folders backed up to Backblaze B2, and brings them back."""

__version__ = "0.1.0"
